"""What importing the handler costs: no connection, no boto3, no idempotency or parameters utility.

botocore's modules are loaded at import (Powertools' Tracer imports the X-Ray SDK, which imports
``botocore.session`` and ``botocore.client``, tracing on or off), but no session or client exists
until a request needs one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from runtime import aws
from tests.runtime.lambda_process import ROOT, lambda_tracing_environment, process_environment
from tests.support.apigw import LambdaApi

DEFERRED_MODULES = (
    "boto3",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parameters",
)

IMPORT_PROBE = textwrap.dedent(
    """
    import json, socket, sys

    def refuse(*args, **kwargs):
        raise AssertionError("network access at import")

    for name in ("connect", "connect_ex", "send", "sendall", "sendto"):
        setattr(socket.socket, name, refuse)
    socket.create_connection = socket.getaddrinfo = refuse
    import runtime.handler
    from runtime import aws

    print(json.dumps({
        "loaded": sorted(name for name in sys.argv[1:] if name in sys.modules),
        "clients": [name for name, value in vars(aws._cache).items() if value is not None],
    }))
    """
)


@pytest.mark.parametrize("in_lambda", [False, True], ids=["outside Lambda", "in Lambda, tracing on"])
def test_importing_the_handler_opens_no_connection_creates_no_client_loads_no_boto3_idempotency_or_parameters(
    in_lambda: bool,
) -> None:
    environ = process_environment(PYTHONDONTWRITEBYTECODE="1")
    if in_lambda:
        environ.update(lambda_tracing_environment(daemon_port=2000))

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", IMPORT_PROBE, *DEFERRED_MODULES],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"loaded": [], "clients": []}


def test_one_client_serves_every_invocation_until_reset(alice: LambdaApi, fresh_aws: None) -> None:
    alice.get("/items")
    client = aws.dynamodb()
    alice.get("/items")

    assert aws.dynamodb() is client
    aws.reset()
    assert aws.dynamodb() is not client
