"""The pattern construct reused: another team's service synthesizes with none of the items service's facts.

``fixtures/orders_service`` is that team's repository: its own ASGI-free handler package, its pinned
requirements and its whole CDK app (``app.py``), which runs here as written, cdk-nag's AwsSolutions and
Serverless packs included (an unacknowledged finding fails its synthesis).
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from synth_support import resources_of_type

from serverless_fastapi_cdk import (
    ApplicationMetrics,
    DeploymentChecks,
    PropsError,
    PythonApiService,
    ServiceTable,
)
from serverless_fastapi_cdk.canary_deployment import ENV_HEALTH_PATH, ENV_HEALTH_VERSION_FIELD

ORDERS = Path(__file__).resolve().parent / "fixtures" / "orders_service"
ITEMS_FACTS = (
    "items",
    "itemsservice",
    "/health",
    "function_version",
    "secrets manager",
    "secretsmanager",
    "idempotency",
    "if-match",
    "cursor",
    "the project pins",
)
"""Words of the items service (its names, routes, metric dimension, services and headers) that no other
service's template may carry unless it says them itself."""


@pytest.fixture(scope="module")
def orders() -> tuple[dict[str, Any], Path]:
    app: App = runpy.run_path(str(ORDERS / "app.py"))["app"]
    return app.synth().get_stack_by_name("Orders").template, Path(app.outdir)


def code_lines(path: Path) -> list[str]:
    """Lines that are not blank, imports or the module docstring."""
    return [
        line
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith(("from ", "import ", '"""'))
    ]


def test_the_other_service_needs_under_30_lines_of_cdk_code():
    assert len(code_lines(ORDERS / "app.py")) < 30


def test_its_template_states_no_fact_of_the_items_service(orders: tuple[dict[str, Any], Path]):
    template, _ = orders
    text = json.dumps(template).lower()

    assert [fact for fact in ITEMS_FACTS if fact in text] == []


def test_its_function_runs_its_own_package_with_its_own_metrics(orders: tuple[dict[str, Any], Path]):
    template, _ = orders
    (function,) = [
        f for f in resources_of_type(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "orders.handler.handler"
    ]  # fmt: skip
    variables = function["Properties"]["Environment"]["Variables"]

    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Orders"
    assert variables["POWERTOOLS_SERVICE_NAME"] == "orders"
    skips = {skip["id"]: skip["comment"] for skip in function["Metadata"]["checkov"]["skip"]}
    assert "(DynamoDB, EventBridge, X-Ray)" in skips["CKV_AWS_117"]
    assert skips["CKV_AWS_173"] == (
        "The environment holds the orders table's name; Lambda encrypts it at rest with its AWS managed key"
    )


def test_its_routes_and_only_its_health_route_are_public(orders: tuple[dict[str, Any], Path]):
    template, _ = orders
    routes = {
        route["Properties"]["RouteKey"]: route["Properties"]["AuthorizationType"]
        for route in resources_of_type(template, "AWS::ApiGatewayV2::Route").values()
    }

    assert routes == {
        "GET /status": "NONE",
        "GET /orders": "JWT",
        "POST /orders": "JWT",
        "GET /orders/{id}": "JWT",
    }


def test_its_rollback_alarms_watch_its_metrics_by_its_version_dimension(orders: tuple[dict[str, Any], Path]):
    template, _ = orders
    metrics = [
        metric["MetricStat"]["Metric"]
        for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
        for metric in alarm["Properties"].get("Metrics", [])
        if "MetricStat" in metric
    ] + [
        alarm["Properties"]
        for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
        if "MetricName" in alarm["Properties"]
    ]
    watched = {
        (metric["Namespace"], metric["MetricName"]): sorted(d["Name"] for d in metric["Dimensions"])
        for metric in metrics
        if metric["Namespace"] == "Orders"
    }

    assert set(watched) == {("Orders", "Crashes"), ("Orders", "Failed"), ("Orders", "Rejected")}
    assert all(dimensions == ["service", "version"] for dimensions in watched.values())


def test_its_hook_checks_its_health_route_with_the_library_code_only(orders: tuple[dict[str, Any], Path]):
    template, outdir = orders
    (hook,) = [
        f for f in resources_of_type(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "pre_traffic.handler"
    ]  # fmt: skip
    variables = hook["Properties"]["Environment"]["Variables"]
    asset = outdir / f"asset.{hook['Properties']['Code']['S3Key'].removesuffix('.zip')}"

    assert (variables[ENV_HEALTH_PATH], variables[ENV_HEALTH_VERSION_FIELD]) == ("/status", "version")
    assert sorted(path.name for path in asset.iterdir()) == [
        "__init__.py", "hook_common.py", "post_traffic.py", "pre_traffic.py", "probe.py",
    ]  # fmt: skip


def tableless(stack: Stack, **props: Any) -> PythonApiService:
    return PythonApiService(
        stack,
        "Service",
        package_dir=ORDERS / "orders",
        handler="orders.handler.handler",
        requirements_file=ORDERS / "requirements.txt",
        metrics=ApplicationMetrics(
            namespace="Quotes",
            service_name="quotes",
            unhandled_errors="Crashes",
            server_errors="Failed",
            client_errors="Rejected",
            version_dimension="version",
        ),
        checks=DeploymentChecks(health_path="/status"),
        aws_services=["EventBridge"],
        environment_contents="nothing but Powertools settings",
        jwt_issuer="https://auth.quotes.example.com/",
        jwt_audience=["quotes-web"],
        public_routes={"GET /status": "uptime probe"},
        runtime_reason="The quotes team targets Python 3.13.",
        **props,
    )


def test_a_service_without_a_table_gets_no_table_alarm_grant_or_graph():
    app = App()
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    stack = Stack(app, "Quotes", env=Environment(region="eu-west-1"))
    service = tableless(stack)
    template = app.synth().get_stack_by_name("Quotes").template

    assert "dynamodb" not in json.dumps(template).lower()
    assert [alarm.node.id for alarm in service.monitoring.alarms] == []


def test_a_table_needs_the_operations_the_service_calls_on_it():
    stack = Stack(App(context={"aws:cdk:bundling-stacks": []}), "Quotes")
    table = ServiceTable(stack, "Table", partition_key="id").table

    with pytest.raises(PropsError, match=r"^PythonApiService\.table_operations: "):
        tableless(stack, table=table)
