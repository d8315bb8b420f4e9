"""Constructs refuse props that cannot work, naming the prop, before anything is synthesized."""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_
from synth_support import FIXTURES

from serverless_fastapi_cdk.api_function import ApiFunction, ColdStart
from serverless_fastapi_cdk.bundling import BundlingError
from serverless_fastapi_cdk.http_api import CorsSettings, ServiceHttpApi, ThrottleSettings


def stack() -> Stack:
    return Stack(App(context={"aws:cdk:bundling-stacks": []}), "Props")


def function(**props: object) -> ApiFunction:
    defaults: dict[str, object] = {
        "package_dir": FIXTURES / "tiny_service",
        "handler": "tiny_service.orders.handle",
        "service_name": "orders",
        "metrics_namespace": "Orders",
        "aws_services": ("DynamoDB",),
        "environment_contents": "table names only",
    }
    return ApiFunction(stack(), "Fn", **{**defaults, **props})  # type: ignore[arg-type]


def test_function_rejects_snap_start_with_provisioned_concurrency():
    with pytest.raises(ValueError, match="SnapStart cannot be combined with provisioned_concurrency"):
        function(cold_start=ColdStart(snap_start=True, provisioned_concurrency=2))


@pytest.mark.parametrize("level", ["TRACE", "WARNING", "ERROR"])
def test_function_rejects_a_log_level_other_than_debug_or_info(level: str):
    with pytest.raises(ValueError, match=rf"ApiFunction\.log_level: '{level}'.*metrics"):
        function(log_level=level)


def test_function_rejects_a_missing_package_folder():
    with pytest.raises(BundlingError, match=r"ApiFunction\.package_dir: .*missing is not a folder"):
        function(package_dir=FIXTURES / "missing")


def test_provisioned_concurrency_goes_on_the_alias():
    alias = function(cold_start=ColdStart(provisioned_concurrency=3)).alias.node.default_child

    assert isinstance(alias, lambda_.CfnAlias)
    assert Stack.of(alias).resolve(alias.provisioned_concurrency_config) == {
        "provisionedConcurrentExecutions": 3
    }


def api(**props: object) -> ServiceHttpApi:
    scope = stack()
    handler = lambda_.Function(
        scope,
        "Handler",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )
    defaults: dict[str, object] = {
        "handler": handler,
        "jwt_issuer": "https://issuer.example.com/",
        "jwt_audience": ["a"],
    }
    return ServiceHttpApi(scope, "Api", **{**defaults, **props})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"jwt_audience": []}, r"jwt_audience: at least one audience"),
        (
            {"public_routes": {"GET /health": "probe"}, "protected_routes": ["GET /health"]},
            r"both public and protected: \['GET /health'\]",
        ),
        ({"protected_routes": ["FETCH /items"]}, r"'FETCH /items' is not a route key"),
        ({"protected_routes": ["GET items"]}, r"'GET items' is not a route key"),
        (
            {
                "cors": CorsSettings(allow_origins=("https://app.example.com",)),
                "protected_routes": ["ANY /{proxy+}"],
            },
            r"protected routes \['ANY /\{proxy\+\}'\] match OPTIONS, so browsers' CORS preflights",
        ),
        (
            {
                "cors": CorsSettings(allow_origins=("https://app.example.com",)),
                "protected_routes": ["OPTIONS /items"],
            },
            r"protected routes \['OPTIONS /items'\] match OPTIONS",
        ),
        ({"route_throttles": {"GET /nothing": None}}, r"route_throttles: \['GET /nothing'\] are not routes"),
        (
            {
                "public_routes": {"GET /status": "probe"},
                "route_throttles": {"GET /status": ThrottleSettings(rate_limit=51, burst_limit=1)},
            },
            r"route_throttles: \['GET /status'\] exceed the stage's throttle",
        ),
    ],
)
def test_http_api_rejects_impossible_routes_and_audiences(props: dict[str, object], message: str):
    with pytest.raises(ValueError, match=message):
        api(**props)
