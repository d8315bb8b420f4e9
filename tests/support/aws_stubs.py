"""botocore ``Stubber``-backed clients behind a session-shaped object.

Drift detection, CodeDeploy deployments and log events need a real AWS account (moto implements none of
them faithfully), so these tests stub the AWS API replies, in the shapes botocore's models validate, and
run the real code against them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, cast

import boto3
import botocore.session
from botocore.stub import Stubber

REGION = "eu-west-1"


class StubbedSession:
    """Hands out one stubbed client per service name, as ``boto3.Session.client`` would."""

    region_name = REGION

    def __init__(self) -> None:
        self._botocore = botocore.session.get_session()
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}

    def signed_in(self, account: str = "123456789012") -> StubbedSession:
        """Queue the ``sts:GetCallerIdentity`` answer of credentials of ``account``."""
        self.stub("sts").add_response(
            "get_caller_identity",
            {"Account": account, "Arn": f"arn:aws:iam::{account}:user/operator", "UserId": "AIDAEXAMPLE"},
        )
        return self

    def stub(self, service: str) -> Stubber:
        if service not in self.stubbers:
            client = self._botocore.create_client(
                service,
                region_name=REGION,
                aws_access_key_id="stub",
                aws_secret_access_key="stub",
            )
            self.clients[service] = client
            self.stubbers[service] = Stubber(client)
        return self.stubbers[service]

    def client(self, service: str, **_: Any) -> Any:
        """The stubbed client; a service no test prepared is an error, never a call to AWS."""
        if service not in self.clients:
            raise AssertionError(f"unexpected {service} client: the test stubbed no reply for it")
        return self.clients[service]

    @property
    def as_session(self) -> boto3.Session:
        return cast(boto3.Session, self)


@contextmanager
def activated(session: StubbedSession) -> Iterator[StubbedSession]:
    """Every stubber active; on exit, each must have consumed all its queued replies."""
    with ExitStack() as stack:
        for stubber in session.stubbers.values():
            stack.enter_context(stubber)
        yield session
        for stubber in session.stubbers.values():
            stubber.assert_no_pending_responses()
