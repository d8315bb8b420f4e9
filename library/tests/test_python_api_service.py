"""The pattern construct reused: another team's service synthesizes with none of the items service's facts.

``fixtures/orders_service`` is that team's repository: its own ASGI-free handler package, its pinned
requirements and its whole CDK app (``app.py``), which runs here as written, cdk-nag's AwsSolutions and
Serverless packs included (an unacknowledged finding fails its synthesis).
"""

from __future__ import annotations

import ast
import json
import runpy
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from synth_support import logical_id, resources_of_type

from serverless_fastapi_cdk import (
    ApiSettings,
    ApplicationMetrics,
    DeliverySettings,
    DeploymentChecks,
    FunctionSettings,
    MonitoringSettings,
    PropsError,
    PythonApiService,
    ServiceCode,
    ServiceTable,
    TableAccess,
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
    """Non-blank lines of the module's statements, imports and docstring aside."""
    lines = path.read_text().splitlines()
    statements = [
        node
        for node in ast.parse("\n".join(lines)).body
        if not isinstance(node, ast.Import | ast.ImportFrom)
        and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
    ]
    spans = {
        number for node in statements for number in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }
    return [lines[number - 1] for number in sorted(spans) if lines[number - 1].strip()]


def test_the_other_service_needs_under_50_lines_of_cdk_code():
    """A table, renamed metrics and a scoped route included."""
    assert len(code_lines(ORDERS / "app.py")) < 50


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


QUOTES_CODE = ServiceCode(
    package_dir=ORDERS / "orders",
    handler="orders.handler.handler",
    requirements_file=ORDERS / "requirements.txt",
    aws_services=["EventBridge"],
    environment_contents="nothing but Powertools settings",
)
QUOTES_API = ApiSettings(
    jwt_issuer="https://auth.quotes.example.com/",
    jwt_audience=["quotes-web"],
    public_routes={"GET /status": "uptime probe"},
)


def tableless(stack: Stack, **props: Any) -> PythonApiService:
    settings: dict[str, Any] = {
        "code": QUOTES_CODE,
        "api": QUOTES_API,
        "delivery": DeliverySettings(checks=DeploymentChecks(health_path="/status")),
        "monitoring": MonitoringSettings(
            metrics=ApplicationMetrics(namespace="Quotes", service_name="quotes")
        ),
        "function": FunctionSettings(runtime_reason="The quotes team targets Python 3.13."),
    }
    return PythonApiService(stack, "Service", **{**settings, **props})


def test_a_service_without_a_table_gets_no_table_alarm_grant_or_graph():
    app = App()
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    stack = Stack(app, "Quotes", env=Environment(region="eu-west-1"))
    service = tableless(stack)
    template = app.synth().get_stack_by_name("Quotes").template

    assert "dynamodb" not in json.dumps(template).lower()
    assert [alarm.node.id for alarm in service.monitoring.alarms] == []


def test_a_table_needs_the_operations_the_service_calls_on_it():
    with pytest.raises(PropsError, match=r"^TableAccess\.operations: name 1 to 10 operations"):
        TableAccess(
            table=ServiceTable(Stack(App(), "Quotes"), "Table", partition_key="id").table, operations=[]
        )


def test_the_health_route_the_hooks_call_must_be_public():
    with pytest.raises(
        PropsError, match=r"PythonApiService\.api\.public_routes: .*'GET /health' without a token"
    ):
        tableless(
            Stack(App(context={"aws:cdk:bundling-stacks": []}), "Quotes"),
            delivery=DeliverySettings(checks=DeploymentChecks(health_path="/health")),
        )


def test_each_group_reports_all_of_its_problems_at_once():
    with pytest.raises(PropsError) as raised:
        ApiSettings(
            jwt_issuer="http://auth.example.com/",
            jwt_audience=[],
            public_routes={"GET /status": ""},
            route_scopes={"GET /status": ["read"]},
        )

    assert [problem.split(":", 1)[0] for problem in raised.value.problems] == [
        "ApiSettings.jwt_audience",
        "ApiSettings.jwt_issuer",
        "ApiSettings.public_routes",
        "ApiSettings.route_scopes",
    ]


def test_a_route_scope_is_required_of_that_routes_tokens(orders: tuple[dict[str, Any], Path]):
    template, _ = orders
    scopes = {
        route["Properties"]["RouteKey"]: route["Properties"].get("AuthorizationScopes")
        for route in resources_of_type(template, "AWS::ApiGatewayV2::Route").values()
    }

    assert scopes == {
        "GET /status": None,
        "GET /orders": None,
        "POST /orders": ["orders/write"],
        "GET /orders/{id}": None,
    }


def test_services_can_share_one_alarm_topic():
    app = App(context={"aws:cdk:bundling-stacks": []})
    stack = Stack(app, "Quotes")
    shared = sns.Topic(
        stack, "SharedAlarms", master_key=kms.Key(stack, "SharedKey", enable_key_rotation=True)
    )
    service = tableless(
        stack,
        monitoring=MonitoringSettings(
            metrics=ApplicationMetrics(namespace="Quotes", service_name="quotes"), alarm_topic=shared
        ),
    )
    template = app.synth().get_stack_by_name("Quotes").template

    assert service.monitoring.topic is shared
    assert len(resources_of_type(template, "AWS::SNS::Topic")) == 1
    assert len(resources_of_type(template, "AWS::KMS::Key")) == 1
    actions = [
        action
        for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
        for action in alarm["Properties"].get("AlarmActions", [])
    ]
    assert actions
    assert {json.dumps(action) for action in actions} == {json.dumps({"Ref": logical_id(shared)})}
