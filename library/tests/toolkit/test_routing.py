"""Route selection: exact before greedy before ``$default``, a method before ``ANY``."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverless_fastapi_cdk.toolkit.local_api.model import FunctionSpec, RouteSpec
from serverless_fastapi_cdk.toolkit.local_api.routing import select_route

FUNCTION = FunctionSpec(
    logical_id="Fn",
    name="fn",
    version="$LATEST",
    invoked_arn="arn:aws:lambda:us-east-1:123456789012:function:fn",
    handler="app.handler",
    runtime="python3.13",
    code_dir=Path("/code"),
    layer_dirs=(),
    environment={},
    timeout_seconds=3,
    memory_mb=128,
    reserved_concurrency=None,
    log_group_name="/aws/lambda/fn",
)


def _routes(*keys: str) -> list[RouteSpec]:
    return [
        RouteSpec(route_key=key, authorizer=None, function=FUNCTION, integration_timeout_seconds=30)
        for key in keys
    ]


ROUTES = _routes(
    "GET /health",
    "ANY /{proxy+}",
    "GET /items/{id}",
    "ANY /items/{id}",
    "GET /items/special",
    "POST /items",
)


@pytest.mark.parametrize(
    ("method", "path", "route_key", "parameters"),
    [
        ("GET", "/health", "GET /health", {}),
        ("POST", "/health", "ANY /{proxy+}", {"proxy": "health"}),
        ("GET", "/items/42", "GET /items/{id}", {"id": "42"}),
        ("DELETE", "/items/42", "ANY /items/{id}", {"id": "42"}),
        ("GET", "/items/special", "GET /items/special", {}),
        ("POST", "/items", "POST /items", {}),
        ("GET", "/items", "ANY /{proxy+}", {"proxy": "items"}),
        ("GET", "/items/42/parts/7", "ANY /{proxy+}", {"proxy": "items/42/parts/7"}),
        ("GET", "/items/a%2Fb", "GET /items/{id}", {"id": "a%2Fb"}),
    ],
)
def test_the_most_specific_route_wins(
    method: str, path: str, route_key: str, parameters: dict[str, str]
) -> None:
    match = select_route(ROUTES, method, path)
    assert match is not None
    assert (match.route.route_key, match.path_parameters) == (route_key, parameters)


def test_a_greedy_variable_does_not_match_the_root() -> None:
    assert select_route(_routes("ANY /{proxy+}"), "GET", "/") is None


def test_default_route_catches_what_nothing_else_matches() -> None:
    routes = _routes("GET /health", "$default")
    match = select_route(routes, "PUT", "/anything/at/all")
    assert match is not None
    assert match.route.route_key == "$default"
    assert match.path_parameters == {}


def test_no_match_without_default_route() -> None:
    assert select_route(_routes("GET /health"), "GET", "/healthz") is None
    assert select_route(_routes("GET /health"), "POST", "/health") is None


def test_options_takes_an_any_route_or_default_but_no_route_of_another_method() -> None:
    """What decides whether API Gateway answers a CORS preflight itself (only when nothing matches)."""
    per_method = _routes("GET /health", *(f"{method} /{{proxy+}}" for method in ("GET", "POST", "DELETE")))
    assert select_route(per_method, "OPTIONS", "/items") is None
    assert select_route(per_method, "OPTIONS", "/health") is None
    for catch_all in ("ANY /{proxy+}", "$default"):
        match = select_route(_routes("GET /health", catch_all), "OPTIONS", "/health")
        assert match is not None
        assert match.route.route_key == catch_all
