"""A catalogue of bad versions, each run through the real pre-traffic hook and stopped.

Each variant (``tests/functions/bad_versions/``) is the real runtime with one thing broken. It is served the
way the local emulator serves the function (``toolkit.local_api.workers.FunctionPool``: a Lambda-like
process per execution environment, INIT and timeouts enforced) against moto's server. The hook runs
through its entry point; the two AWS calls it makes that cannot happen here go to stand-ins on its own
clients: ``lambda:Invoke`` of the version is answered by the function pool, and
``codedeploy:PutLifecycleEventHookExecutionStatus`` is recorded (what the hook reported is what is
asserted). The table's items are counted before and after each run.

For the variants a rollback alarm also catches, the EMF records the variant printed are held against the
alarm as the app synthesizes it for every environment: namespace, metric, dimension set and threshold.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
import sysconfig
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.response import StreamingBody
from botocore.stub import Stubber

from cdk_app import items_round_trip
from cdk_app.config import ENVIRONMENTS
from runtime import contract
from serverless_fastapi_cdk.bundling import copy_runtime_half
from serverless_fastapi_cdk.canary_deployment import (
    ENV_HEALTH_PATH,
    ENV_HEALTH_VERSION_FIELD,
    ENV_TARGET_TIMEOUT_SECONDS,
    ENV_TARGET_VERSION_ARN,
    SERVICE_CHECK_MODULE,
)
from serverless_fastapi_cdk.hooks import pre_traffic, probe
from serverless_fastapi_cdk.toolkit.local_api.logs import Console
from serverless_fastapi_cdk.toolkit.local_api.model import FunctionSpec
from serverless_fastapi_cdk.toolkit.local_api.workers import FunctionPool, Outcome, Platform
from tests.support.apigw import FakeLambdaContext
from tests.support.aws_emulator import REGION, Emulator, create_cursor_secret, create_items_table
from tests.support.cdk_synthesis import SynthesizedApp, logical_id
from tests.support.observability import emf_blobs
from tests.support.token_issuer import (
    describe_machine_client_answer,
    issuer_environment,
    machine_client_environment,
    session_issuer,
)

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = Path(__file__).resolve().parent / "bad_versions"
FUNCTION_NAME = "items-bad-version"
VERSION = "42"
TIMEOUT_SECONDS = 3
DEPLOYMENT_ID = "d-CATALOGUE1"
EXECUTION_ID = "catalogue-lifecycle-event-hook-execution-id"
CONFIGS = {config.name: config for config in ENVIRONMENTS}
SERVICE_NAME = "items-api"
METRICS_NAMESPACE = "ItemsService"


class RecordingConsole(Console):
    """The emulator's console, keeping each line the function wrote as it wrote it (EMF included)."""

    def __init__(self) -> None:
        super().__init__(io.StringIO())
        self.lines: list[str] = []

    def function_line(self, environment: str, line: str) -> None:
        self.lines.append(line)
        super().function_line(environment, line)


@dataclass
class Deployment:
    """One bad version served locally, and what the hook did to it."""

    pool: FunctionPool
    console: RecordingConsole
    reports: list[dict[str, Any]] = field(default_factory=list)
    invocations: list[Outcome] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:123456789012:function:{FUNCTION_NAME}:{VERSION}"

    def answer_invoke(self, params: dict[str, Any], **_: Any) -> Any:
        """Lambda's answer to a synchronous Invoke of the version, from the function pool."""
        function_name = unquote(params["url_path"].split("/functions/", 1)[1].split("/", 1)[0])
        assert function_name == self.arn
        invocation = self.pool.invoke(
            json.loads(params["body"]), trace_root=f"Root=1-{uuid.uuid4().hex[:8]}-x"
        )
        self.invocations.append(invocation.outcome)
        parsed: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": VERSION}
        if invocation.outcome is Outcome.SUCCESS:
            payload = (invocation.payload or "").encode()
        else:
            parsed["FunctionError"] = "Unhandled"
            payload = json.dumps(invocation.error).encode()
        parsed["Payload"] = StreamingBody(io.BytesIO(payload), len(payload))
        parsed["ResponseMetadata"] = {"HTTPStatusCode": 200, "HTTPHeaders": {}}
        return AWSResponse(params["url"], 200, HTTPHeaders(), None), parsed

    def record_report(self, params: dict[str, Any], **_: Any) -> Any:
        self.reports.append(json.loads(params["body"]))
        parsed = {"lifecycleEventHookExecutionId": EXECUTION_ID, "ResponseMetadata": {"HTTPStatusCode": 200}}
        return AWSResponse(params["url"], 200, HTTPHeaders(), None), parsed

    def emf(self) -> list[dict[str, Any]]:
        """The EMF records the version printed."""
        return emf_blobs("\n".join(self.console.lines))


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test environment's packages as the function's one layer (``python/``), as Lambda lays it out."""
    layer_dir = tmp_path_factory.mktemp("layer")
    (layer_dir / "python").symlink_to(sysconfig.get_paths()["purelib"])
    return layer_dir


@pytest.fixture(scope="module")
def backing(aws_emulator: Emulator) -> dict[str, str]:
    names = {"table": f"items-catalogue-{uuid.uuid4().hex[:8]}", "secret": f"items-catalogue/{uuid.uuid4()}"}
    create_items_table(aws_emulator.dynamodb(), names["table"])
    create_cursor_secret(aws_emulator.secretsmanager(), names["secret"])
    return names


def count_items(aws_emulator: Emulator, table: str) -> int:
    return aws_emulator.dynamodb().scan(TableName=table, Select="COUNT", ConsistentRead=True)["Count"]


@pytest.fixture
def deploy(tmp_path: Path, layer: Path, backing: dict[str, str], aws_emulator: Emulator) -> Iterator[Any]:
    pools: list[FunctionPool] = []

    def deploy_variant(variant: str) -> Deployment:
        code = tmp_path / variant
        code.mkdir()
        (code / "runtime").symlink_to(ROOT / "runtime")
        copy_runtime_half(code)
        shutil.copy(VARIANTS / f"{variant}.py", code / "bad_version.py")
        spec = FunctionSpec(
            logical_id="Api",
            name=FUNCTION_NAME,
            version=VERSION,
            invoked_arn=f"arn:aws:lambda:{REGION}:123456789012:function:{FUNCTION_NAME}:{VERSION}",
            handler="bad_version.handler",
            runtime="python3.13",
            code_dir=code,
            layer_dirs=(layer,),
            environment={
                contract.ENV_TABLE_NAME: backing["table"],
                contract.ENV_CURSOR_SECRET_NAME: backing["secret"],
                contract.ENV_ENABLE_DOCS: "false",
                contract.ENV_APP_VERSION: "catalogue",
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                "POWERTOOLS_TRACE_DISABLED": "true",
                "BAD_VERSION_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
                **issuer_environment(),
            },
            timeout_seconds=TIMEOUT_SECONDS,
            memory_mb=512,
            reserved_concurrency=2,
            log_format="JSON",
            application_log_level="INFO",
            log_group_name=f"/aws/lambda/{FUNCTION_NAME}",
        )
        console = RecordingConsole()
        platform = Platform(
            python=sys.executable,
            region=REGION,
            aws_endpoint_url=aws_emulator.endpoint_url,
            xray_daemon_address="127.0.0.1:2000",
            console=console,
        )
        pool = FunctionPool(spec, platform)
        pools.append(pool)
        return Deployment(pool, console)

    yield deploy_variant
    for pool in pools:
        pool.shutdown()


def run_hook(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv(ENV_TARGET_VERSION_ARN, deployment.arn)
    monkeypatch.setenv(ENV_TARGET_TIMEOUT_SECONDS, str(TIMEOUT_SECONDS))
    monkeypatch.setenv(ENV_HEALTH_PATH, contract.HEALTH_PATH)
    monkeypatch.setenv(ENV_HEALTH_VERSION_FIELD, contract.HEALTH_FUNCTION_VERSION_FIELD)
    monkeypatch.setitem(sys.modules, SERVICE_CHECK_MODULE, items_round_trip)
    for name, value in machine_client_environment().items():
        monkeypatch.setenv(name, value)
    lambda_events = pre_traffic._lambda_client(TIMEOUT_SECONDS).meta.events
    codedeploy_events = pre_traffic._codedeploy_client().meta.events
    lambda_events.register("before-call.lambda.Invoke", deployment.answer_invoke, unique_id="bad-version")
    codedeploy_events.register(
        "before-call.codedeploy.PutLifecycleEventHookExecutionStatus",
        deployment.record_report,
        unique_id="bad-version",
    )
    try:
        event = {"DeploymentId": DEPLOYMENT_ID, "LifecycleEventHookExecutionId": EXECUTION_ID}
        with Stubber(pre_traffic._cognito_client()) as cognito:  # type: ignore[arg-type]
            cognito.add_response("describe_user_pool_client", describe_machine_client_answer())
            return pre_traffic.handler(event, FakeLambdaContext(remaining_time_in_millis=120_000))
    finally:
        lambda_events.unregister("before-call.lambda.Invoke", unique_id="bad-version")
        codedeploy_events.unregister(
            "before-call.codedeploy.PutLifecycleEventHookExecutionStatus", unique_id="bad-version"
        )


CATALOGUE = {
    "healthy": ("Succeeded", "version 42 passed health, create, read, list, replace, stale-replace, delete"),
    "every_route_500": ("Failed", "step 'health' failed: answered 500, expected 200"),
    "identity_broken": ("Failed", "step 'create' failed: answered 401, expected 201"),
    "table_access_denied": ("Failed", "step 'create' failed: answered 500, expected 201"),
    "serialization_broken": ("Failed", "step 'create' failed: created_at"),
    "slow": ("Failed", "step 'create' failed: answered in "),
    "import_error": (
        "Failed",
        "step 'health' failed: no answer: RuntimeError: invocation failed (Unhandled)",
    ),
}
"""Variant -> what the hook reports to CodeDeploy and the start of the reason it logs."""


@pytest.mark.parametrize("variant", sorted(CATALOGUE))
def test_the_pre_traffic_hook_stops_every_bad_version(
    variant: str,
    deploy: Any,
    backing: dict[str, str],
    aws_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
):
    status, reason = CATALOGUE[variant]
    deployment = deploy(variant)
    before = count_items(aws_emulator, backing["table"])

    outcome = run_hook(deployment, monkeypatch)

    assert deployment.reports == [
        {"deploymentId": DEPLOYMENT_ID, "lifecycleEventHookExecutionId": EXECUTION_ID, "status": status}
    ]
    assert outcome["status"] == status
    assert outcome["reason"].startswith(reason), outcome["reason"]
    assert count_items(aws_emulator, backing["table"]) == before
    if variant == "import_error":
        assert deployment.invocations == [Outcome.ERROR]
        assert "missing_dependency_of_the_new_version" in outcome["reason"]


def test_every_variant_of_the_catalogue_is_run():
    assert sorted(CATALOGUE) == sorted(p.stem for p in VARIANTS.glob("*.py") if p.stem != "__init__")


# --- alarms that also catch a variant once it takes traffic ----------------------------------------


def served(deployment: Deployment, requests: list[tuple[str, str, bool]]) -> list[dict[str, Any]]:
    """Send payload 2.0 requests (method, path, authenticated) to the version, return its EMF records."""
    for method, path, authenticated in requests:
        event = pre_traffic.payload_event(
            probe.Request(method, path),
            token=session_issuer().mint("catalogue-user"),
            health_path=contract.HEALTH_PATH,
        )
        if not authenticated:
            event["headers"].pop("authorization", None)
        deployment.pool.invoke(event, trace_root="Root=1-00000000-catalogue")
    return deployment.emf()


def rate_alarm_sees(
    synthesized_app: SynthesizedApp,
    environment: str,
    alarm: str,
    metric_name: str,
    records: list[dict[str, Any]],
) -> bool:
    """Whether the environment's alarm, evaluated on these records as one minute, would be in ALARM."""
    stack = synthesized_app.stages[environment].stateless.service
    resources = synthesized_app.template_json(environment, "Stateless")["Resources"]
    (properties,) = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"].get("AlarmName") == f"items-{environment}-{alarm}"
    ]
    version_ref = resources[logical_id(stack.alias)]["Properties"]["FunctionVersion"]
    queries = {q["Id"]: q for q in properties["Metrics"]}
    for query_id in ("errors", "requests"):
        metric = queries[query_id]["MetricStat"]["Metric"]
        assert metric["Namespace"] == METRICS_NAMESPACE
        assert metric["MetricName"] == metric_name
        assert {d["Name"]: d["Value"] for d in metric["Dimensions"]} == {
            contract.METRIC_SERVICE_DIMENSION: SERVICE_NAME,
            contract.METRIC_VERSION_DIMENSION: version_ref,
        }
    data = []
    for record in records:
        (directive,) = record["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == METRICS_NAMESPACE
        assert [contract.METRIC_SERVICE_DIMENSION, contract.METRIC_VERSION_DIMENSION] in directive[
            "Dimensions"
        ]
        assert record[contract.METRIC_VERSION_DIMENSION] == VERSION
        data += record.get(metric_name, [])
    floor = int(queries["expr_1"]["Expression"].split(">=", 1)[1].split(",", 1)[0])
    rate = 100 * sum(data) / len(data) if len(data) >= floor else 0
    return rate >= float(properties["Threshold"])


@pytest.mark.parametrize("environment", [config.name for config in ENVIRONMENTS])
def test_the_client_error_rate_alarm_sees_the_identity_broken_version(
    environment: str, synthesized_app: SynthesizedApp, deploy: Any
):
    deployment = deploy("identity_broken")
    records = served(deployment, [("GET", "/items", True)] * 20)
    assert rate_alarm_sees(
        synthesized_app, environment, "new-version-client-error-rate", contract.METRIC_CLIENT_ERRORS, records
    )


@pytest.mark.parametrize("environment", [config.name for config in ENVIRONMENTS])
@pytest.mark.parametrize("variant", ["every_route_500", "table_access_denied"])
def test_the_server_error_rate_and_unhandled_errors_alarms_see_the_failing_version(
    environment: str, variant: str, synthesized_app: SynthesizedApp, deploy: Any
):
    deployment = deploy(variant)
    records = served(deployment, [("GET", "/items", True)] * 20)
    assert rate_alarm_sees(
        synthesized_app, environment, "new-version-server-error-rate", contract.METRIC_SERVER_ERRORS, records
    )
    unhandled = sum(sum(r.get(contract.METRIC_UNHANDLED_ERRORS, [])) for r in records)
    assert unhandled >= CONFIGS[environment].alarm_thresholds.rollback.unhandled_errors


def test_a_healthy_version_trips_no_rate_alarm(synthesized_app: SynthesizedApp, deploy: Any):
    """The control: a quiet minute with one 404 among a few requests stays under every floor."""
    deployment = deploy("healthy")
    records = served(deployment, [("GET", "/health", False)] * 3 + [("GET", "/items/unknown", True)])
    for environment in (config.name for config in ENVIRONMENTS):
        for alarm, metric in (
            ("new-version-client-error-rate", contract.METRIC_CLIENT_ERRORS),
            ("new-version-server-error-rate", contract.METRIC_SERVER_ERRORS),
        ):
            assert not rate_alarm_sees(synthesized_app, environment, alarm, metric, records)


@pytest.mark.parametrize("environment", [config.name for config in ENVIRONMENTS])
def test_the_latency_alarm_sees_a_version_answering_near_its_timeout(
    environment: str, synthesized_app: SynthesizedApp
):
    """Once a canary carries 1 % or more of the requests, the stage's p99 is at least the slow variant's
    latency (65 % of the function's timeout), which is above every environment's threshold."""
    resources = synthesized_app.template_json(environment, "Stateless")["Resources"]
    (latency,) = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"].get("AlarmName") == f"items-{environment}-api-latency-p99"
    ]
    assert (latency["MetricName"], latency["ExtendedStatistic"]) == ("Latency", "p99")
    slow_ms = 0.65 * CONFIGS[environment].timeout_seconds * 1000
    assert slow_ms >= latency["Threshold"]
