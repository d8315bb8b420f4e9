"""The pre-traffic hook, run through its entry point against the real runtime handler and a local table.

The runtime's DynamoDB and Secrets Manager calls go to moto's server over HTTP (``runtime_backend``).
Two AWS calls cannot happen here, and only those two are replaced:

- ``lambda:Invoke`` of the new version: a botocore ``before-call`` handler on the hook's own Lambda client
  answers it by calling ``runtime.handler.handler`` in-process with the hook's payload 2.0 event, and returns
  what Lambda would (``ExecutedVersion``, the JSON payload, ``FunctionError`` when the handler raises).
  Request serialisation and response handling in botocore and the hook stay real.
- ``codedeploy:PutLifecycleEventHookExecutionStatus``: botocore's ``Stubber`` on the hook's CodeDeploy
  client captures the report and checks its parameters.
- ``cognito-idp:DescribeUserPoolClient``: a ``Stubber`` answers with the machine client's secret, which is
  registered in the tests' issuer; the client-credentials token then comes from that issuer's real token
  endpoint over HTTP, and the runtime verifies it against the issuer's JWKS.

Faults are injected into the runtime with ``monkeypatch`` (a broken route, repository or adapter): the hook
must see each of them through the contract alone.
"""

from __future__ import annotations

import ast
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote

import jwt
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.response import StreamingBody
from botocore.stub import Stubber

from cdk_app import items_round_trip
from runtime import contract
from runtime.errors import ErrorCode
from serverless_fastapi_cdk.canary_deployment import (
    DEPLOYMENT_HOOKS_CODE,
    ENV_HEALTH_PATH,
    ENV_HEALTH_VERSION_FIELD,
    ENV_TARGET_TIMEOUT_SECONDS,
    ENV_TARGET_VERSION_ARN,
    SERVICE_CHECK_MODULE,
)
from serverless_fastapi_cdk.hooks import hook_common, pre_traffic
from serverless_fastapi_cdk.toolkit.local_api.issuer import OAUTH_TOKEN_PATH
from tests.support.apigw import FakeLambdaContext
from tests.support.aws_emulator import (
    Emulator,
    create_cursor_secret,
    create_items_table,
    create_unless_present,
)
from tests.support.token_issuer import MACHINE_CLIENT_ID, session_issuer

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:items-api"
TIMEOUT_SECONDS = 10
DEPLOYMENT_ID = "d-EXAMPLE123"
EXECUTION_ID = "example-lifecycle-event-hook-execution-id"
CODEDEPLOY_EVENT = {"DeploymentId": DEPLOYMENT_ID, "LifecycleEventHookExecutionId": EXECUTION_ID}
ROUND_TRIP = ["health", "create", "read", "list", "replace", "stale-replace", "delete", "read-deleted"]
HOOK_ENVIRONMENT = {
    ENV_HEALTH_PATH: contract.HEALTH_PATH,
    ENV_HEALTH_VERSION_FIELD: contract.HEALTH_FUNCTION_VERSION_FIELD,
}
"""What the stack sets on the hook for the items service (tests/app/test_canary_environments.py)."""


MACHINE_SECRET = "machine-client-secret-of-the-tests"
MACHINE_SCOPE = "items/deployment-check"
USER_POOL_ID = "us-east-1_Example"


@pytest.fixture(autouse=True)
def machine_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """The deployment check's client: registered in the tests' issuer, accepted by the function, its secret
    answered by ``DescribeUserPoolClient``."""
    issuer = session_issuer()
    issuer.register_client(MACHINE_CLIENT_ID, MACHINE_SECRET, (MACHINE_SCOPE,))
    for name, value in {
        hook_common.ENV_TOKEN_URL: issuer.url + OAUTH_TOKEN_PATH,
        hook_common.ENV_USER_POOL_ID: USER_POOL_ID,
        hook_common.ENV_CLIENT_ID: MACHINE_CLIENT_ID,
        hook_common.ENV_SCOPE: MACHINE_SCOPE,
    }.items():
        monkeypatch.setenv(name, value)
    with Stubber(pre_traffic._cognito_client()) as stubber:  # type: ignore[arg-type]
        stubber.add_response(
            "describe_user_pool_client",
            {"UserPoolClient": {"ClientId": MACHINE_CLIENT_ID, "ClientSecret": MACHINE_SECRET}},
            expected_params={"UserPoolId": USER_POOL_ID, "ClientId": MACHINE_CLIENT_ID},
        )
        yield stubber


@pytest.fixture(autouse=True)
def items_service_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook as the items service deploys it: its health settings, and its round trip bundled as
    ``service_check`` beside the hook's modules."""
    for name, value in HOOK_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(sys.modules, SERVICE_CHECK_MODULE, items_round_trip)


HOOK_TIMEOUT_MS = 150_000


@dataclass
class Invocation:
    function_name: str
    event: dict[str, Any]
    result: dict[str, Any] | None = None


@dataclass
class InProcessLambda:
    """Answers the hook's ``lambda:Invoke`` calls with the runtime handler, run in this process."""

    handler_module: ModuleType
    invocations: list[Invocation] = field(default_factory=list)

    def answer(self, params: dict[str, Any], **_: Any) -> Any:
        """``(http response, parsed response)``: botocore then skips the HTTP call and uses this answer."""
        function_name = unquote(params["url_path"].split("/functions/", 1)[1].split("/", 1)[0])
        invocation = Invocation(function_name, json.loads(params["body"]))
        self.invocations.append(invocation)
        executed_version = function_name.rsplit(":", 1)[-1]
        parsed: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": executed_version}
        try:
            invocation.result = self.handler_module.handler(
                invocation.event, FakeLambdaContext(function_version=executed_version)
            )
            payload = json.dumps(invocation.result).encode()
        except Exception as error:  # noqa: BLE001 - Lambda reports any handler exception this way
            parsed["FunctionError"] = "Unhandled"
            payload = json.dumps(
                {
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "stackTrace": traceback.format_tb(error.__traceback__),
                }
            ).encode()
        parsed["Payload"] = StreamingBody(io.BytesIO(payload), len(payload))
        parsed["ResponseMetadata"] = {"HTTPStatusCode": 200, "HTTPHeaders": {}}
        http = AWSResponse(params["url"], 200, HTTPHeaders(), None)
        return http, parsed

    def steps(self) -> list[tuple[str, str]]:
        return [(i.event["requestContext"]["http"]["method"], i.event["rawPath"]) for i in self.invocations]


@dataclass
class Table:
    """The runtime's table in the emulator; ``count`` is what a Scan sees (the test's view only)."""

    backend: Emulator
    name: str

    def count(self) -> int:
        return self.backend.dynamodb().scan(TableName=self.name, Select="COUNT", ConsistentRead=True)["Count"]


@pytest.fixture
def table(runtime_handler: ModuleType, runtime_backend: Emulator) -> Table:
    from runtime.settings import get_settings

    settings = get_settings()
    create_unless_present(create_items_table, runtime_backend.dynamodb(), settings.table_name)
    create_unless_present(create_cursor_secret, runtime_backend.secretsmanager(), settings.cursor_secret_name)
    return Table(runtime_backend, settings.table_name)


@pytest.fixture
def lambda_service(runtime_handler: ModuleType) -> Iterator[InProcessLambda]:
    service = InProcessLambda(runtime_handler)
    events = pre_traffic._lambda_client(TIMEOUT_SECONDS).meta.events
    events.register("before-call.lambda.Invoke", service.answer, unique_id="in-process-lambda")
    try:
        yield service
    finally:
        events.unregister("before-call.lambda.Invoke", unique_id="in-process-lambda")


@pytest.fixture
def codedeploy() -> Iterator[Stubber]:
    with Stubber(pre_traffic._codedeploy_client()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def expect_report(stubber: Stubber, status: str) -> None:
    stubber.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": EXECUTION_ID},
        expected_params={
            "deploymentId": DEPLOYMENT_ID,
            "lifecycleEventHookExecutionId": EXECUTION_ID,
            "status": status,
        },
    )


def deployed_version(runtime_handler: ModuleType) -> str:
    """The version number the runtime process reports (``AWS_LAMBDA_FUNCTION_VERSION`` at its init)."""
    from runtime.settings import get_settings

    version = get_settings().function_version
    assert version is not None
    assert version.isdigit()
    return version


def run_hook(
    monkeypatch: pytest.MonkeyPatch,
    target_version_arn: str | None,
    *,
    remaining_ms: int = HOOK_TIMEOUT_MS,
    timeout: str = str(TIMEOUT_SECONDS),
) -> dict[str, str]:
    if target_version_arn is None:
        monkeypatch.delenv(ENV_TARGET_VERSION_ARN, raising=False)
    else:
        monkeypatch.setenv(ENV_TARGET_VERSION_ARN, target_version_arn)
    monkeypatch.setenv(ENV_TARGET_TIMEOUT_SECONDS, timeout)
    return pre_traffic.handler(
        dict(CODEDEPLOY_EVENT), FakeLambdaContext(remaining_time_in_millis=remaining_ms)
    )


def test_healthy_version_passes_the_whole_round_trip_and_leaves_no_item(
    runtime_handler: ModuleType,
    table: Table,
    lambda_service: InProcessLambda,
    codedeploy: Stubber,
    monkeypatch: pytest.MonkeyPatch,
):
    version = deployed_version(runtime_handler)
    before = table.count()
    expect_report(codedeploy, "Succeeded")

    outcome = run_hook(monkeypatch, f"{FUNCTION_ARN}:{version}")

    assert outcome["status"] == "Succeeded", outcome["reason"]
    assert outcome["reason"] == f"version {version} passed {', '.join(ROUND_TRIP)}"
    assert [method for method, _ in lambda_service.steps()] == [
        "GET", "POST", "GET", "GET", "PUT", "PUT", "DELETE", "GET"
    ]  # fmt: skip
    assert {i.function_name for i in lambda_service.invocations} == {f"{FUNCTION_ARN}:{version}"}
    health, *item_calls = lambda_service.invocations
    assert "authorizer" not in health.event["requestContext"]
    assert "authorization" not in health.event["headers"]
    for invocation in item_calls:
        scheme, token = invocation.event["headers"]["authorization"].split(" ")
        claims = jwt.decode(token, options={"verify_signature": False})
        assert (scheme, claims["sub"], claims["client_id"]) == (
            "Bearer",
            MACHINE_CLIENT_ID,
            MACHINE_CLIENT_ID,
        )
        assert "authorizer" not in invocation.event["requestContext"]
    assert table.count() == before


def test_a_wrong_client_secret_fails_at_the_token_step_without_calling_the_version(
    runtime_handler: ModuleType,
    lambda_service: InProcessLambda,
    codedeploy: Stubber,
    machine_client: Stubber,
    monkeypatch: pytest.MonkeyPatch,
):
    session_issuer().register_client(MACHINE_CLIENT_ID, "another-secret", (MACHINE_SCOPE,))
    expect_report(codedeploy, "Failed")

    outcome = run_hook(monkeypatch, f"{FUNCTION_ARN}:{deployed_version(runtime_handler)}")

    assert outcome["status"] == "Failed"
    assert outcome["reason"].startswith("step 'token' failed"), outcome["reason"]
    assert "invalid_client" in outcome["reason"]
    assert lambda_service.invocations == []


def test_version_reporting_another_version_fails(
    runtime_handler: ModuleType,
    table: Table,
    lambda_service: InProcessLambda,
    codedeploy: Stubber,
    monkeypatch: pytest.MonkeyPatch,
):
    """The runtime answers 200 but says it is not the version CodeDeploy is about to shift traffic to."""
    other = str(int(deployed_version(runtime_handler)) + 1)
    expect_report(codedeploy, "Failed")

    outcome = run_hook(monkeypatch, f"{FUNCTION_ARN}:{other}")

    assert outcome["status"] == "Failed"
    assert (
        outcome["reason"]
        == f"step 'health' failed: reports version {deployed_version(runtime_handler)!r}, expected {other!r}"
    )


def test_version_whose_writes_fail_after_create_fails_and_cleans_up(
    runtime_handler: ModuleType,
    table: Table,
    lambda_service: InProcessLambda,
    codedeploy: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    """Injected fault: replacing an item raises, so the runtime answers 500; the created item is deleted."""
    from runtime.repository import ItemRepository

    def broken_replace(*_: Any, **__: Any) -> Any:
        raise RuntimeError("replace is broken in this version")

    monkeypatch.setattr(ItemRepository, "replace", broken_replace)
    before = table.count()
    expect_report(codedeploy, "Failed")

    with caplog.at_level(logging.INFO):
        outcome = run_hook(monkeypatch, f"{FUNCTION_ARN}:{deployed_version(runtime_handler)}")

    assert outcome["status"] == "Failed"
    assert outcome["reason"].startswith("step 'replace' failed: answered 500, expected 200")
    assert lambda_service.steps()[-1][0] == "DELETE"
    assert table.count() == before
    assert any("cleanup DELETE /items/" in record.getMessage() for record in caplog.records)
    assert any("step 'replace' failed" in record.getMessage() for record in caplog.records)


def test_cleanup_that_fails_is_logged_and_the_verdict_stays_failed(
    runtime_handler: ModuleType,
    table: Table,
    lambda_service: InProcessLambda,
    codedeploy: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    """Reads and deletes both broken: the trip fails at read, the cleanup's delete fails too."""
    from runtime.repository import ItemRepository

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("broken in this version")

    before = table.count()
    monkeypatch.setattr(ItemRepository, "get", broken)
    monkeypatch.setattr(ItemRepository, "delete", broken)
    expect_report(codedeploy, "Failed")

    with caplog.at_level(logging.INFO):
        outcome = run_hook(monkeypatch, f"{FUNCTION_ARN}:{deployed_version(runtime_handler)}")

    assert outcome["status"] == "Failed"
    assert outcome["reason"].startswith("step 'read' failed: answered 500")
    assert any("cleanup failed" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    assert table.count() == before + 1
    monkeypatch.undo()
    items = table.backend.dynamodb().scan(TableName=table.name)["Items"]
    for item in items:
        if item[contract.TABLE_PARTITION_KEY]["S"] == f"USER#{MACHINE_CLIENT_ID}":
            table.backend.dynamodb().delete_item(
                TableName=table.name,
                Key={k: item[k] for k in (contract.TABLE_PARTITION_KEY, contract.TABLE_SORT_KEY)},
            )
    assert table.count() == before


def test_version_answering_500_on_health_fails(
    runtime_handler: ModuleType,
    table: Table,
    lambda_service: InProcessLambda,
    codedeploy: Stubber,
    monkeypatch: pytest.MonkeyPatch,
):
    from runtime.routers import health as health_route

    def broken_health(**_: Any) -> Any:
        raise KeyError("function_version")

    monkeypatch.setattr(health_route, "Health", broken_health)
    expect_report(codedeploy, "Failed")

    outcome = run_hook(monkeypatch, f"{FUNCTION_ARN}:{deployed_version(runtime_handler)}")

    assert outcome["status"] == "Failed"
    assert outcome["reason"].startswith("step 'health' failed: answered 500")
    assert len(lambda_service.invocations) == 1


def test_version_whose_handler_crashes_fails(
    runtime_handler: ModuleType,
    table: Table,
    lambda_service: InProcessLambda,
    codedeploy: Stubber,
    monkeypatch: pytest.MonkeyPatch,
):
    """Injected fault: the ASGI adapter raises, so Lambda reports a FunctionError instead of a response."""

    def crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("cannot import the new dependency")

    monkeypatch.setattr(runtime_handler, "_asgi_adapter", crash)
    expect_report(codedeploy, "Failed")

    outcome = run_hook(monkeypatch, f"{FUNCTION_ARN}:{deployed_version(runtime_handler)}")

    assert outcome["status"] == "Failed"
    assert outcome["reason"].startswith(
        "step 'health' failed: no answer: RuntimeError: invocation failed (Unhandled)"
    )
    assert "cannot import the new dependency" in outcome["reason"]


def test_too_little_time_reports_failure_without_calling_the_version(
    lambda_service: InProcessLambda, codedeploy: Stubber, monkeypatch: pytest.MonkeyPatch
):
    """One call may take the function's timeout plus 5 s, the report 20 s: 34.999 s left is not enough."""
    expect_report(codedeploy, "Failed")
    per_call = TIMEOUT_SECONDS + pre_traffic.CONNECT_SECONDS + pre_traffic.INVOKE_MARGIN_SECONDS
    needed_ms = (per_call + hook_common.REPORT_SECONDS) * 1000

    outcome = run_hook(monkeypatch, f"{FUNCTION_ARN}:7", remaining_ms=needed_ms - 1)

    assert outcome["status"] == "Failed"
    assert outcome["reason"].startswith("step 'token' failed: 35.0 s left, the step needs up to 35.0 s")
    assert lambda_service.invocations == []


def test_running_out_of_time_mid_trip_stops_cleans_up_and_reports(
    runtime_handler: ModuleType,
    table: Table,
    lambda_service: InProcessLambda,
    codedeploy: Stubber,
):
    """The clock runs down as a slow version answers: after the create, a step and its cleanup no longer fit
    but the cleanup alone does, so the hook deletes the item and reports before Lambda would stop it."""
    per_call_ms = (TIMEOUT_SECONDS + pre_traffic.CONNECT_SECONDS + pre_traffic.INVOKE_MARGIN_SECONDS) * 1000
    report_ms = hook_common.REPORT_SECONDS * 1000
    remaining = [
        HOOK_TIMEOUT_MS,
        2 * per_call_ms + report_ms,
        2 * per_call_ms + report_ms,
        per_call_ms + report_ms,
    ]
    before = table.count()
    expect_report(codedeploy, "Failed")

    def remaining_ms() -> int:
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    verdict = pre_traffic.run(
        dict(CODEDEPLOY_EVENT),
        remaining_ms=remaining_ms,
        lambda_client=pre_traffic._lambda_client,
        codedeploy_client=pre_traffic._codedeploy_client(),
        cognito_client=pre_traffic._cognito_client(),
        target_version_arn=f"{FUNCTION_ARN}:{deployed_version(runtime_handler)}",
        target_timeout_seconds=str(TIMEOUT_SECONDS),
        environ=os.environ,
        service_check=items_round_trip.run,
    )

    assert not verdict.passed
    assert verdict.reason.startswith("step 'read' failed: 35.0 s left, the step needs up to 50.0 s")
    assert lambda_service.steps()[-1][0] == "DELETE"
    assert len(lambda_service.invocations) == 3
    assert table.count() == before


@pytest.mark.parametrize("target", [None, "", FUNCTION_ARN, f"{FUNCTION_ARN}:live"])
def test_missing_or_unversioned_target_still_reports_failure(
    lambda_service: InProcessLambda,
    codedeploy: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    target: str | None,
):
    """CodeDeploy would wait an hour for a hook that never reports; a misconfigured hook fails fast."""
    expect_report(codedeploy, "Failed")

    outcome = run_hook(monkeypatch, target)

    assert outcome["status"] == "Failed"
    assert ENV_TARGET_VERSION_ARN in outcome["reason"]
    assert lambda_service.invocations == []


@pytest.mark.parametrize("timeout", ["", "0", "ten"])
def test_missing_function_timeout_still_reports_failure(
    lambda_service: InProcessLambda, codedeploy: Stubber, monkeypatch: pytest.MonkeyPatch, timeout: str
):
    expect_report(codedeploy, "Failed")

    outcome = run_hook(monkeypatch, f"{FUNCTION_ARN}:7", timeout=timeout)

    assert outcome["status"] == "Failed"
    assert ENV_TARGET_TIMEOUT_SECONDS in outcome["reason"]
    assert lambda_service.invocations == []


def test_hook_reads_the_contract_of_the_runtime():
    """The hook cannot import the runtime (it is deployed alone), so its copies are checked here."""
    from runtime.schemas.errors import ErrorBody
    from runtime.schemas.items import Item, ItemPage

    assert set(Item.model_fields) == items_round_trip.ITEM_FIELDS
    assert set(ItemPage.model_fields) == items_round_trip.PAGE_FIELDS
    assert set(ErrorBody.model_fields) >= items_round_trip.ERROR_FIELDS
    assert items_round_trip.NOT_FOUND_CODE == ErrorCode.ITEM_NOT_FOUND
    assert items_round_trip.PRECONDITION_FAILED_CODE == ErrorCode.PRECONDITION_FAILED


def test_hook_asset_is_stdlib_and_boto3_only():
    sources = sorted(p.name for p in DEPLOYMENT_HOOKS_CODE.iterdir() if p.suffix == ".py")
    assert sources == ["__init__.py", "hook_common.py", "post_traffic.py", "pre_traffic.py", "probe.py"]
    assert (DEPLOYMENT_HOOKS_CODE / "__init__.py").read_text() == ""
    allowed = {
        DEPLOYMENT_HOOKS_CODE / "hook_common.py": {"botocore"},
        DEPLOYMENT_HOOKS_CODE / "pre_traffic.py": {"boto3", "botocore", "probe", "hook_common"},
        DEPLOYMENT_HOOKS_CODE / "post_traffic.py": {"boto3", "probe", "hook_common"},
        DEPLOYMENT_HOOKS_CODE / "probe.py": set(),
        Path(items_round_trip.__file__): {"serverless_fastapi_cdk", "probe"},
    }
    for path, third_party in allowed.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
        assert (
            imported - set(sys.stdlib_module_names) - {"mypy_boto3_codedeploy", "mypy_boto3_lambda"}
            == third_party
        )


def test_hook_imports_as_lambda_loads_it(tmp_path: Path):
    """Lambda imports the hooks as top-level modules from the asset's folder, not as a package; the
    service's check is bundled beside them as ``service_check`` and found by both hooks."""
    for module in DEPLOYMENT_HOOKS_CODE.glob("*.py"):
        shutil.copyfile(module, tmp_path / module.name)
    shutil.copyfile(items_round_trip.__file__, tmp_path / f"{SERVICE_CHECK_MODULE}.py")
    script = (
        "import post_traffic, pre_traffic, probe, service_check; "
        "assert pre_traffic.probe is probe is post_traffic.probe is service_check.probe; "
        "assert probe.load_service_check() is service_check.run"
    )
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, check=True, timeout=60)  # noqa: S603


def test_version_answering_near_its_timeout_fails(
    runtime_handler: ModuleType,
    table: Table,
    lambda_service: InProcessLambda,
    codedeploy: Stubber,
    monkeypatch: pytest.MonkeyPatch,
):
    """Injected fault: reads take 0.6 s, more than half the 1 s timeout the hook is told the function has
    (the stand-in Lambda does not enforce the timeout, so the version still answers)."""
    import time

    from runtime.repository import ItemRepository

    real_get = ItemRepository.get

    def slow_get(self: Any, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.6)
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(ItemRepository, "get", slow_get)
    before = table.count()
    expect_report(codedeploy, "Failed")

    verdict = pre_traffic.run(
        dict(CODEDEPLOY_EVENT),
        remaining_ms=lambda: HOOK_TIMEOUT_MS,
        lambda_client=lambda _: pre_traffic._lambda_client(TIMEOUT_SECONDS),
        codedeploy_client=pre_traffic._codedeploy_client(),
        cognito_client=pre_traffic._cognito_client(),
        target_version_arn=f"{FUNCTION_ARN}:{deployed_version(runtime_handler)}",
        target_timeout_seconds="1",
        environ=os.environ,
        service_check=items_round_trip.run,
    )

    assert not verdict.passed
    assert verdict.reason.startswith("step 'read' failed: answered in 0.")
    assert verdict.reason.endswith("s, more than 0.5 s")
    assert table.count() == before
