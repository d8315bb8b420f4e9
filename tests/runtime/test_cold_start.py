"""What importing the handler costs: no AWS SDK, no connection; clients are made on first use."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from runtime import aws
from tests.support.apigw import LambdaApi

IMPORT_PROBE = textwrap.dedent(
    """
    import socket, sys

    def refuse(*args, **kwargs):
        raise AssertionError("network access at import")

    socket.socket.connect = refuse
    socket.create_connection = refuse
    import runtime.handler
    print(",".join(sorted(name for name in ("boto3", "aws_lambda_powertools.utilities.idempotency",
        "aws_lambda_powertools.utilities.parameters") if name in sys.modules)))
    """
)


def test_importing_the_handler_opens_no_connection_and_loads_no_aws_sdk() -> None:
    environ = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, env=environ, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_one_client_serves_every_invocation_until_reset(alice: LambdaApi, fresh_aws: None) -> None:
    alice.get("/items")
    client = aws.dynamodb()
    alice.get("/items")

    assert aws.dynamodb() is client
    aws.reset()
    assert aws.dynamodb() is not client
