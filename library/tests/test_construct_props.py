"""Constructs refuse props that cannot work, naming the prop, before anything is synthesized."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_lambda as lambda_
from synth_support import FIXTURES

from serverless_fastapi_cdk.api_function import ApiFunction, ColdStart
from serverless_fastapi_cdk.canary_props import DeploymentChecks
from serverless_fastapi_cdk.http_api import CorsSettings, ServiceHttpApi, ThrottleSettings
from serverless_fastapi_cdk.props import PropsError


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
    with pytest.raises(PropsError, match=r"ApiFunction\.package_dir: .*missing is not a folder"):
        function(package_dir=FIXTURES / "missing")


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        ("tiny_service.orders.handel", r"orders\.py defines no top-level 'handel'"),
        ("tiny_service.order.handle", r"names module 'tiny_service\.order', which is not in"),
        ("other_service.orders.handle", r"is not '<tiny_service>\.<module>\.<function>'"),
        ("handle", r"is not '<tiny_service>\.<module>\.<function>'"),
    ],
)
def test_function_handler_must_be_a_callable_of_the_package(handler: str, message: str):
    with pytest.raises(PropsError, match=rf"ApiFunction\.handler: .*{message}"):
        function(handler=handler)


def test_a_handler_module_that_does_not_compile_is_refused(tmp_path: Path):
    package = tmp_path / "broken"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "app.py").write_text("def handler(event, context)\n    return 1\n")

    with pytest.raises(PropsError, match=r"app\.py does not compile \(line 1"):
        function(package_dir=package, handler="broken.app.handler")


def test_every_problem_of_a_function_is_reported_at_once():
    with pytest.raises(PropsError) as raised:
        function(
            handler="tiny_service.orders.nope", memory_size=64, timeout=Duration.seconds(40), log_level="WARN"
        )

    assert [problem.split(":", 1)[0] for problem in raised.value.problems] == [
        "ApiFunction.log_level",
        "ApiFunction.handler",
        "ApiFunction.memory_size",
        "ApiFunction.timeout",
    ]
    assert "the HTTP API stops waiting for its integration after 30 s" in str(raised.value)


@pytest.mark.parametrize("memory", [127, 10241])
def test_memory_outside_lambdas_range_is_refused(memory: int):
    with pytest.raises(PropsError, match=r"ApiFunction\.memory_size: must be 128\.\.10240"):
        function(memory_size=memory)


def test_a_service_check_without_run_or_that_does_not_compile_is_refused(tmp_path: Path):
    no_run = tmp_path / "no_run.py"
    no_run.write_text("def check(call, trip, health):\n    pass\n")
    broken = tmp_path / "broken.py"
    broken.write_text("def run(call, trip, health)\n")

    with pytest.raises(PropsError, match=r"service_check: no_run\.py defines no top-level 'run'"):
        DeploymentChecks(health_path="/health", service_check=no_run, service_check_calls=1)
    with pytest.raises(PropsError, match=r"service_check: broken\.py does not compile"):
        DeploymentChecks(health_path="/health", service_check=broken, service_check_calls=1)


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
            {"jwt_issuer": "http://issuer.example.com/"},
            r"jwt_issuer: 'http://issuer\.example\.com/' must be an https",
        ),
        (
            {"public_routes": {"GET /status": " "}},
            r"public_routes: \['GET /status'\] need a reason to be public",
        ),
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
    with pytest.raises(PropsError, match=message):
        api(**props)
