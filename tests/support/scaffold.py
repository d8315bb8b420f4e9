"""A small service of our own around the canary and monitoring constructs, synthesized once per session.

The scaffold (function, alias, HTTP API, table) is deliberately plain CDK, not this app's constructs: it
proves the two constructs compose with any function behind any HTTP API. cdk-nag runs on the whole app; the
scaffold's own findings are acknowledged on the scaffold, so synthesis only succeeds when the constructs
under test bring zero unacknowledged findings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from cdk_app import service
from runtime import contract
from serverless_fastapi_cdk.canary_deployment import (
    ApplicationMetrics,
    CanaryDeployment,
    RollbackThresholds,
    TrafficShift,
    TrafficShifting,
)
from serverless_fastapi_cdk.monitoring import NotificationSettings, ServiceMonitoring
from tests.support.aws_emulator import Emulator

ACCOUNT = "123456789012"
REGION = "eu-west-1"
SERVICE_NAME = "scaffold-items"
METRICS_NAMESPACE = "ScaffoldItems"
METRICS = ApplicationMetrics(
    namespace=METRICS_NAMESPACE,
    service_name=SERVICE_NAME,
    unhandled_errors=contract.METRIC_UNHANDLED_ERRORS,
    server_errors=contract.METRIC_SERVER_ERRORS,
    client_errors=contract.METRIC_CLIENT_ERRORS,
    version_dimension=contract.METRIC_VERSION_DIMENSION,
)
RESERVED_CONCURRENCY = 10
ALARM_PREFIX = "scaffold"
DASHBOARD_NAME = "scaffold-dashboard"
EMAIL = "oncall@example.com"
HTTPS_URL = "https://hooks.example.com/alarms"
CUSTOM_CANARY_PERCENT = 25
CUSTOM_CANARY = TrafficShifting(
    shift=TrafficShift.CANARY, percentage=CUSTOM_CANARY_PERCENT, interval_minutes=3
)
"""A style CodeDeploy does not predefine: 25 % for 3 minutes."""
THRESHOLDS = RollbackThresholds(
    new_version_errors=2,
    new_version_throttles=3,
    api_5xx_rate_percent=4.5,
    api_p99_latency_ms=1_200,
    unhandled_errors=5,
    new_version_server_error_rate_percent=7.5,
    new_version_client_error_rate_percent=40.0,
    new_version_min_requests=20,
    evaluation_periods=3,
    datapoints_to_alarm=2,
)

RUNTIME_ENVIRONMENT = {
    contract.ENV_TABLE_NAME: "items-canary-test",
    contract.ENV_CURSOR_SECRET_NAME: "items-canary-test/cursor-signing-key",
    contract.ENV_APP_VERSION: "9.9.9+canary-test",
    "AWS_LAMBDA_FUNCTION_VERSION": "7",
    "POWERTOOLS_SERVICE_NAME": "items",
    "POWERTOOLS_METRICS_NAMESPACE": "ItemsService",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "AWS_MAX_ATTEMPTS": "1",
}
"""What the function's environment would hold. The runtime reads it once, when ``runtime.handler`` is first
imported; another suite may have set it first, so tests read the values back from the runtime."""
for _name, _value in RUNTIME_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)

SCAFFOLD_REASON = "Test scaffold around the constructs under test; never deployed."
SCAFFOLD_FINDINGS = (
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    "AwsSolutions-L1",
    "AwsSolutions-APIG1",
    "AwsSolutions-APIG4",
    "Serverless-LambdaDLQ",
    "Serverless-LambdaLatestVersion",
    "Serverless-LambdaTracing",
    "Serverless-APIGWAccessLogging",
    "Serverless-APIGWDefaultThrottling",
    "Serverless-APIGWStructuredLogging",
)


@dataclass(frozen=True)
class Scaffold:
    """One synthesized stack and the constructs it was built from (for logical ids)."""

    stack: cdk.Stack
    template: Template
    canary: CanaryDeployment
    monitoring: ServiceMonitoring
    function: lambda_.Function
    alias: lambda_.Alias
    table: dynamodb.TableV2
    api: apigwv2.HttpApi

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.template.to_json()["Resources"]
        return resources

    def logical_id(self, construct: Any) -> str:
        resource = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
        return self.stack.get_logical_id(resource)


@dataclass(frozen=True)
class ScaffoldApp:
    stacks: dict[str, Scaffold]
    acknowledgements: dict[str, dict[str, str]]


def _build(
    app: cdk.App,
    stack_id: str,
    *,
    traffic_shifting: TrafficShifting | None = None,
    reserved_concurrency: int | None = RESERVED_CONCURRENCY,
    subscriptions: bool = True,
    pre_traffic_hook: bool = True,
) -> tuple[cdk.Stack, dict[str, Any]]:
    stack = cdk.Stack(app, stack_id, env=cdk.Environment(account=ACCOUNT, region=REGION))
    table = dynamodb.TableV2(
        stack,
        "Table",
        partition_key=dynamodb.Attribute(
            name=contract.TABLE_PARTITION_KEY, type=dynamodb.AttributeType.STRING
        ),
        sort_key=dynamodb.Attribute(name=contract.TABLE_SORT_KEY, type=dynamodb.AttributeType.STRING),
    )
    function = lambda_.Function(
        stack,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_13,
        architecture=lambda_.Architecture.ARM_64,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return {'statusCode': 200}\n"),
        memory_size=256,
        timeout=cdk.Duration.seconds(10),
        reserved_concurrent_executions=reserved_concurrency,
        environment={
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        },
    )
    alias = lambda_.Alias(stack, "Alias", alias_name="live", version=function.current_version)
    api = apigwv2.HttpApi(
        stack, "Api", default_integration=integrations.HttpLambdaIntegration("Integration", alias)
    )
    stage = api.default_stage
    assert stage is not None
    for scaffold in (function, api):
        for rule_id in SCAFFOLD_FINDINGS:
            cdk.Validations.of(scaffold).acknowledge(cdk.Acknowledgment(id=rule_id, reason=SCAFFOLD_REASON))

    canary = CanaryDeployment(
        stack,
        "Canary",
        alias=alias,
        function_timeout=cdk.Duration.seconds(10),
        http_stage=stage,
        metrics=METRICS,
        checks=service.DEPLOYMENT_CHECKS,
        traffic_shifting=traffic_shifting,
        thresholds=THRESHOLDS,
        pre_traffic_hook=pre_traffic_hook,
        alarm_name_prefix=ALARM_PREFIX,
    )
    monitoring = ServiceMonitoring(
        stack,
        "Monitoring",
        function=function,
        http_stage=stage,
        table=table,
        reserved_concurrency=reserved_concurrency,
        notify_alarms=[*canary.alarms, *canary.stage_alarms],
        notifications=NotificationSettings(
            emails=(EMAIL,) if subscriptions else (), https_urls=(HTTPS_URL,) if subscriptions else ()
        ),
        alarm_name_prefix=ALARM_PREFIX,
        dashboard_name=DASHBOARD_NAME,
    )
    return stack, {
        "canary": canary,
        "monitoring": monitoring,
        "function": function,
        "alias": alias,
        "table": table,
        "api": api,
    }


@pytest.fixture(scope="session")
def scaffold_app(tmp_path_factory: pytest.TempPathFactory) -> ScaffoldApp:
    outdir: Path = tmp_path_factory.mktemp("canary-cdk-out")
    app = cdk.App(outdir=str(outdir))
    built = {
        "default": _build(app, "Default"),
        "all_at_once": _build(
            app,
            "AllAtOnce",
            traffic_shifting=TrafficShifting(
                shift=TrafficShift.ALL_AT_ONCE, percentage=100, interval_minutes=0
            ),
            reserved_concurrency=None,
            subscriptions=False,
        ),
        "linear": _build(
            app,
            "Linear",
            traffic_shifting=TrafficShifting(shift=TrafficShift.LINEAR, percentage=10, interval_minutes=1),
        ),
        "custom": _build(app, "Custom", traffic_shifting=CUSTOM_CANARY),
        "no_hook": _build(app, "NoHook", pre_traffic_hook=False),
    }
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    try:
        app.synth()
    except RuntimeError as failure:
        pytest.fail(f"cdk-nag reported unacknowledged findings:\n{failure}")
    return ScaffoldApp(
        stacks={
            name: Scaffold(stack=stack, template=Template.from_stack(stack), **parts)
            for name, (stack, parts) in built.items()
        },
        acknowledgements=_acknowledgements(outdir),
    )


def _acknowledgements(outdir: Path) -> dict[str, dict[str, str]]:
    """Construct path -> {rule id: reason} of every acknowledgement recorded in the assembly."""
    found: dict[str, dict[str, str]] = {}
    for metadata_file in outdir.glob("*.metadata.json"):
        for path, entries in json.loads(metadata_file.read_text()).items():
            for entry in entries:
                if entry["type"] == "aws:cdk:acknowledged-rules":
                    for rule, reason in entry["data"].items():
                        found.setdefault(path, {})[rule.removeprefix("Annotation::")] = reason
    return found


@pytest.fixture(scope="session")
def scaffold(scaffold_app: ScaffoldApp) -> Scaffold:
    """The stack with every default: canary 10 % for 5 minutes, hook, reserved concurrency, subscriptions."""
    return scaffold_app.stacks["default"]


@pytest.fixture(scope="session")
def runtime_handler() -> ModuleType:
    """The deployed entry point module, ``runtime.handler``, imported (and configured) once."""
    import runtime.handler

    return runtime.handler


@pytest.fixture
def runtime_backend(aws_emulator: Emulator) -> Iterator[Emulator]:
    """The runtime's AWS clients pointed at the emulator, fresh before and after the test."""
    from runtime import aws

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", aws_emulator.endpoint_url)
        aws.reset()
        yield aws_emulator
        aws.reset()
