"""What importing the handler (Lambda's INIT) does: no connection, no boto3, no idempotency or parameters
utility, and everything the first request would otherwise prepare.

INIT creates the DynamoDB client when the credentials are in the environment (Lambda without
SnapStart) and only loads its service model when they are not (SnapStart's container credentials
are fetched after the restore, :func:`runtime.aws.restored`); it resolves every route and imports
what the first request would import, so that the first request imports nothing.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from runtime import aws
from tests.runtime.lambda_process import ROOT, lambda_tracing_environment, process_environment
from tests.support.apigw import LambdaApi
from tests.support.token_issuer import issuer_environment

DEFERRED_MODULES = (
    "boto3",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parameters",
)

COLD_START_PROBE = textwrap.dedent(
    """
    import json, os, socket, sys, urllib.parse

    SENDING = ("connect", "connect_ex", "send", "sendall", "sendto")
    saved = {name: getattr(socket.socket, name) for name in SENDING}
    saved_module = socket.create_connection, socket.getaddrinfo
    issuer = urllib.parse.urlsplit(os.environ["JWT_ISSUER"])
    issuer_address = (issuer.hostname, issuer.port)
    refused = []

    def target_of(args):
        address = next((arg for arg in args if isinstance(arg, tuple)), None)
        if address is not None:
            return tuple(address[:2])
        if isinstance(args[0], socket.socket):
            return tuple(args[0].getpeername()[:2])
        return tuple(args[:2])

    def guarded(name, original):
        def call(*args, **kwargs):
            target = target_of(args)
            if target != issuer_address:
                refused.append(f"{name}{target!r}")
                raise OSError("network access at import")
            return original(*args, **kwargs)
        return call

    for name in SENDING:
        setattr(socket.socket, name, guarded(name, saved[name]))
    socket.create_connection = guarded("create_connection", saved_module[0])
    socket.getaddrinfo = guarded("getaddrinfo", saved_module[1])
    import runtime.handler
    from runtime import aws

    facts = {
        "refused": refused,
        "loaded": sorted(name for name in sys.argv[2:] if name in sys.modules),
        "clients": [name for name, value in vars(aws._cache).items() if value is not None],
    }
    for name, method in saved.items():
        setattr(socket.socket, name, method)
    socket.create_connection, socket.getaddrinfo = saved_module
    if sys.argv[1] == "request":
        from tests.support.apigw import FakeLambdaContext, http_api_event

        event = http_api_event("GET", "/items", sub="first-request-probe")
        before = set(sys.modules)
        response = runtime.handler.handler(event, FakeLambdaContext())
        facts["first_request"] = {
            "status": response["statusCode"],
            "imported": sorted(set(sys.modules) - before),
        }
    print(json.dumps(facts))
    """
)
"""One interpreter per environment gathers what the handler's import does (no connection but the one INIT
opens on purpose, the issuer's JWKS download; the modules it leaves out, the clients it makes) and, where
it can reach moto, what its first request imports."""


STATIC_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@pytest.mark.parametrize(
    ("in_lambda", "container_credentials", "made"),
    [
        (False, False, ["session", "loader", "dynamodb"]),
        (True, False, ["session", "loader", "dynamodb"]),
        (True, True, ["session", "loader"]),
    ],
    ids=["outside Lambda", "in Lambda, tracing on", "SnapStart's container credentials"],
)
@functools.cache
def cold_start_facts(in_lambda: bool, container_credentials: bool) -> dict[str, Any]:
    environ = process_environment(PYTHONDONTWRITEBYTECODE="1", **issuer_environment())
    if in_lambda:
        environ.update(lambda_tracing_environment(daemon_port=2000))
    if container_credentials:
        for name in STATIC_CREDENTIALS:
            environ.pop(name, None)
        environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:9/credentials"
    request = "import-only" if container_credentials else "request"

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", COLD_START_PROBE, request, *DEFERRED_MODULES],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    facts: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return facts


@pytest.mark.parametrize(
    ("in_lambda", "container_credentials", "made"),
    [
        (False, False, ["session", "loader", "dynamodb"]),
        (True, False, ["session", "loader", "dynamodb"]),
        (True, True, ["session", "loader"]),
    ],
    ids=["outside Lambda", "in Lambda, tracing on", "SnapStart's container credentials"],
)
def test_importing_the_handler_opens_no_connection_loads_no_boto3_idempotency_or_parameters(
    in_lambda: bool, container_credentials: bool, made: list[str]
) -> None:
    facts = cold_start_facts(in_lambda, container_credentials)

    assert (facts["refused"], facts["loaded"], facts["clients"]) == ([], [], made)


def test_one_client_serves_every_invocation_until_reset(alice: LambdaApi, fresh_aws: None) -> None:
    alice.get("/items")
    client = aws.dynamodb()
    alice.get("/items")

    assert aws.dynamodb() is client
    aws.reset()
    assert aws.dynamodb() is not client


@pytest.mark.parametrize("in_lambda", [False, True], ids=["outside Lambda", "in Lambda, tracing on"])
def test_the_first_request_imports_no_module(in_lambda: bool) -> None:
    """INIT imported all the first request needs (:mod:`runtime.init_phase`), the AWS SDK included."""
    facts = cold_start_facts(in_lambda, container_credentials=False)

    assert facts["first_request"] == {"status": 200, "imported": []}


DEFERRED_MODELS_PROBE = textwrap.dedent(
    """
    import json
    import runtime.handler
    from fastapi.openapi.models import OpenAPI
    from pydantic import BaseModel

    class Later(BaseModel):
        x: int

    built_before = OpenAPI.__pydantic_complete__
    document = runtime.handler.app.openapi()
    OpenAPI.model_validate(document)
    print(json.dumps({
        "built_at_init": built_before,
        "paths": sorted(document["paths"]),
        "built_on_use": OpenAPI.__pydantic_complete__,
        "later_models_build_at_once": Later.__pydantic_complete__,
    }))
    """
)


def test_fastapis_openapi_models_are_built_on_first_use_not_during_init() -> None:
    """``runtime.init_phase.model_builds_deferred``: a pydantic upgrade that ignores it fails here."""
    environ = process_environment(PYTHONDONTWRITEBYTECODE="1", ENABLE_DOCS="true")

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", DEFERRED_MODELS_PROBE],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome["built_at_init"] is False
    assert outcome["built_on_use"] is True
    assert outcome["later_models_build_at_once"] is True
    assert "/items/{item_id}" in outcome["paths"]
