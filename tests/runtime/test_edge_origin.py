"""Behind the edge, the API refuses requests that did not come through it.

The real handler (``runtime.handler``) runs in a fresh interpreter with ``ORIGIN_SECRET_NAME`` set, as
the stateless stack sets it where edge protection is on, against moto's Secrets Manager; it is driven
with API Gateway payload 2.0 events. The edge (CloudFront) cannot run here: its part, adding the header
with the secret's value, is the distribution's ``OriginCustomHeaders`` (tests/app/test_domain_and_edge.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from runtime import contract
from tests.runtime.lambda_process import Invocation, process_environment, run_in_fresh_process
from tests.support.apigw import http_api_event, invoke
from tests.support.aws_emulator import Emulator, create_cursor_secret, create_unless_present

ORIGIN_SECRET_NAME = "items-test/edge-origin-verify"


def test_only_requests_with_the_edge_secret_reach_the_service(backend: Emulator, tmp_path: Path) -> None:
    secrets_client = backend.secretsmanager()
    create_unless_present(create_cursor_secret, secrets_client, ORIGIN_SECRET_NAME)
    value = secrets_client.get_secret_value(SecretId=ORIGIN_SECRET_NAME)["SecretString"]
    header = contract.ORIGIN_VERIFY_HEADER
    direct = http_api_event("GET", "/health")
    direct["requestContext"]["domainName"] = "pre-traffic-hook.invalid"
    invocations = [
        Invocation(http_api_event("GET", "/health")),
        Invocation(http_api_event("GET", "/health", headers={header: "guessed"})),
        Invocation(http_api_event("GET", "/items", sub="alice", headers={header: value[:-1]})),
        Invocation(http_api_event("GET", "/health", headers={header: value})),
        Invocation(http_api_event("GET", "/items", sub="alice", headers={header: value})),
        Invocation(direct),
    ]

    run = run_in_fresh_process(
        invocations,
        environ=process_environment(**{contract.ENV_ORIGIN_SECRET_NAME: ORIGIN_SECRET_NAME}),
        scratch=tmp_path,
    )

    statuses = [response.status for response in run.responses]
    assert statuses == [403, 403, 403, 200, 200, 200]
    refused = json.loads(run.responses[0].body)
    assert refused["error"]["code"] == "forbidden"
    assert refused["error"]["message"] == "Call the API through its public domain."
    assert value not in run.stdout + run.stderr, "the secret is never logged"


def test_without_an_edge_no_header_is_needed() -> None:
    from runtime.handler import handler

    assert invoke(handler, http_api_event("GET", "/health")).status == 200
