"""Fixtures of the runtime tests: the real Lambda handler against the emulator.

The service reads its settings once, when ``runtime.handler`` is imported, so the environment a
Lambda function would have is set here, when pytest loads this file and before any test module
imports the runtime. Only the endpoint (the emulator's port) is set later, before the first AWS
client is created.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest

from runtime import aws, contract
from tests.support.apigw import LambdaApi
from tests.support.aws_emulator import (
    Emulator,
    create_cursor_secret,
    create_items_table,
    create_unless_present,
)
from tests.support.token_issuer import session_issuer

TABLE_NAME = "items-test"
CURSOR_SECRET_NAME = "items-test/cursor-signing-key"
SERVICE_NAME = "items"
METRICS_NAMESPACE = "ItemsService"
APP_VERSION = "1.4.2+test"
FUNCTION_VERSION = "7"

os.environ.update(
    {
        contract.ENV_TABLE_NAME: TABLE_NAME,
        contract.ENV_CURSOR_SECRET_NAME: CURSOR_SECRET_NAME,
        contract.ENV_ENABLE_DOCS: "true",
        contract.ENV_APP_VERSION: APP_VERSION,
        "AWS_LAMBDA_FUNCTION_VERSION": FUNCTION_VERSION,
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_TRACE_DISABLED": "true",
        # One attempt per AWS call keeps fault tests fast; the retry test raises it.
        "AWS_MAX_ATTEMPTS": "1",
    }
)


session_issuer()


@pytest.fixture(scope="session", autouse=True)
def backend(aws_emulator: Emulator) -> Iterator[Emulator]:
    """The emulator with the service's table and secret, and the runtime pointed at it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", aws_emulator.endpoint_url)
        create_unless_present(create_items_table, aws_emulator.dynamodb(), TABLE_NAME)
        create_unless_present(create_cursor_secret, aws_emulator.secretsmanager(), CURSOR_SECRET_NAME)
        aws.reset()
        yield aws_emulator
        aws.reset()


@pytest.fixture
def fresh_aws() -> Iterator[None]:
    """Fresh AWS clients and caches before and after a test that changes how they are made."""
    aws.reset()
    yield
    aws.reset()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port nothing listens on: an endpoint there is unreachable, at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield probe.getsockname()[1]


@pytest.fixture(scope="session")
def api() -> LambdaApi:
    """The deployed entry point, ``runtime.handler.handler``, driven with API Gateway events."""
    from runtime.handler import handler

    return LambdaApi(handler)


@pytest.fixture
def alice(api: LambdaApi) -> LambdaApi:
    """A signed-in user, new in every test so that tests never see each other's items."""
    return api.as_user(f"alice-{uuid.uuid4()}")


@pytest.fixture
def bob(api: LambdaApi) -> LambdaApi:
    return api.as_user(f"bob-{uuid.uuid4()}")
