"""What the HTTP API stand-in answers on its own: CORS, unknown routes, payload limit, stage throttling."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from serverless_fastapi_cdk.toolkit.local_api.emulator import require_runtime
from serverless_fastapi_cdk.toolkit.local_api.gateway import (
    MAX_PAYLOAD_BYTES,
    MAX_REQUEST_LINE_AND_HEADERS_BYTES,
)
from serverless_fastapi_cdk.toolkit.local_api.model import LocalApp, ThrottleSpec
from serverless_fastapi_cdk.toolkit.toolchain import PrerequisiteError
from tests.support.local_api import RunningApi, running_api

ALLOWED_ORIGIN = "http://localhost:3000"
"""dev's CORS origin (cdk_app/config.py)."""


def test_dev_template_cors_configuration_is_the_one_served(dev_api: RunningApi) -> None:
    cors = dev_api.emulator.app.api.cors
    assert cors is not None
    assert cors.allow_origins == (ALLOWED_ORIGIN,)


def test_a_preflight_is_answered_by_the_gateway_without_a_token(dev_api: RunningApi) -> None:
    starts_before = dev_api.console().count("START RequestId")
    response = dev_api.client.options(
        "/items",
        headers={
            "origin": ALLOWED_ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization,content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"].split(",")
    cors = dev_api.emulator.app.api.cors
    assert cors is not None
    assert set(response.headers["access-control-allow-headers"].split(",")) == set(cors.allow_headers)
    assert {"authorization", "content-type"} <= set(cors.allow_headers)
    assert response.headers["access-control-max-age"] == "600"
    assert dev_api.console().count("START RequestId") == starts_before


def test_a_preflight_from_another_origin_gets_no_cors_headers(dev_api: RunningApi) -> None:
    response = dev_api.client.options(
        "/items", headers={"origin": "https://evil.example.com", "access-control-request-method": "GET"}
    )
    assert response.status_code == 204
    assert not [name for name in response.headers if name.startswith("access-control-")]


def test_responses_to_an_allowed_origin_carry_the_configured_cors_headers(dev_api: RunningApi) -> None:
    allowed = dev_api.client.get("/health", headers={"origin": ALLOWED_ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    other = dev_api.client.get("/health", headers={"origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in other.headers


def test_a_path_no_route_matches_is_a_gateway_404(dev_api: RunningApi) -> None:
    response = dev_api.client.get("/")
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_a_body_over_the_api_payload_limit_is_refused_before_the_function(dev_api: RunningApi) -> None:
    response = dev_api.client.post(
        "/items",
        content=b"x" * (MAX_PAYLOAD_BYTES + 1),
        headers={**dev_api.auth("uma"), "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == {"message": "Request Entity Too Large"}


def test_request_line_and_headers_over_the_api_quota_are_refused_before_the_function(
    dev_api: RunningApi,
) -> None:
    headers = dev_api.auth("uma")
    response = dev_api.client.get(
        "/items", headers={**headers, "x-padding": "p" * MAX_REQUEST_LINE_AND_HEADERS_BYTES}
    )
    assert response.status_code == 413
    assert response.json() == {"message": "Request Entity Too Large"}
    assert dev_api.client.get("/items", headers={**headers, "x-padding": "p" * 4096}).status_code == 200


def test_the_stage_throttles_beyond_its_burst(dev_assembly_dir: Path, tmp_path: Path) -> None:
    def tight(app: LocalApp) -> LocalApp:
        throttle = ThrottleSpec(rate_limit=0.5, burst_limit=3)
        return app.with_api(dataclasses.replace(app.api, throttle=throttle))

    with running_api(dev_assembly_dir, tmp_path, tight) as api:
        statuses = [api.client.get("/").status_code for _ in range(5)]
        refused = api.client.get("/")
    assert statuses == [404, 404, 404, 429, 429]
    assert refused.json() == {"message": "Too Many Requests"}


def test_a_function_on_another_python_version_is_refused_at_start(dev_api: RunningApi) -> None:
    app = dev_api.emulator.app
    (function,) = app.functions()
    older = dataclasses.replace(function, runtime="python3.12")
    routes = tuple(dataclasses.replace(route, function=older) for route in app.api.routes)
    with pytest.raises(PrerequisiteError, match=r"runs on python3\.12 but the emulator runs on python3\.13"):
        require_runtime(app.with_api(dataclasses.replace(app.api, routes=routes)))
