"""The pre-traffic hook, run locally against the real runtime handler.

Two AWS calls cannot happen here, and only those two are replaced:

- ``lambda:Invoke`` of the new version: a botocore ``before-call`` handler on the hook's own Lambda client
  answers it by calling ``runtime.handler.handler`` in-process with the hook's payload 2.0 event, and returns
  what Lambda would (``ExecutedVersion``, the JSON payload, ``FunctionError`` when the handler raises).
  Request serialisation and response handling in botocore and the hook stay real.
- ``codedeploy:PutLifecycleEventHookExecutionStatus``: botocore's ``Stubber`` on the hook's CodeDeploy
  client captures the report and checks its parameters.

The hook runs through its real entry point, ``index.handler``, with its own cached clients.
"""

from __future__ import annotations

import ast
import io
import json
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.response import StreamingBody
from botocore.stub import Stubber

from cdk_app.constructs.canary_deployment import ENV_TARGET_VERSION_ARN, PRE_TRAFFIC_HOOK_CODE
from cdk_app.functions.pre_traffic_hook import index
from runtime import contract
from tests.support.apigw import FakeLambdaContext

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:items-api"
DEPLOYMENT_ID = "d-EXAMPLE123"
EXECUTION_ID = "example-lifecycle-event-hook-execution-id"
CODEDEPLOY_EVENT = {"DeploymentId": DEPLOYMENT_ID, "LifecycleEventHookExecutionId": EXECUTION_ID}


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


@pytest.fixture
def lambda_service(runtime_handler: ModuleType) -> Iterator[InProcessLambda]:
    service = InProcessLambda(runtime_handler)
    events = index._lambda_client().meta.events
    events.register("before-call.lambda.Invoke", service.answer, unique_id="in-process-lambda")
    try:
        yield service
    finally:
        events.unregister("before-call.lambda.Invoke", unique_id="in-process-lambda")


@pytest.fixture
def codedeploy() -> Iterator[Stubber]:
    with Stubber(index._codedeploy_client()) as stubber:
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
    version: str = runtime_handler.app.state.settings.function_version
    assert version
    assert version.isdigit()
    return version


def run_hook(monkeypatch: pytest.MonkeyPatch, target_version_arn: str | None) -> dict[str, str]:
    if target_version_arn is None:
        monkeypatch.delenv(ENV_TARGET_VERSION_ARN, raising=False)
    else:
        monkeypatch.setenv(ENV_TARGET_VERSION_ARN, target_version_arn)
    return index.handler(dict(CODEDEPLOY_EVENT), object())


def test_healthy_version_succeeds(
    runtime_handler: ModuleType,
    lambda_service: InProcessLambda,
    codedeploy: Stubber,
    monkeypatch: pytest.MonkeyPatch,
):
    version = deployed_version(runtime_handler)
    expect_report(codedeploy, "Succeeded")

    outcome = run_hook(monkeypatch, f"{FUNCTION_ARN}:{version}")

    assert outcome["status"] == "Succeeded", outcome["reason"]
    (invocation,) = lambda_service.invocations
    assert invocation.function_name == f"{FUNCTION_ARN}:{version}"
    assert invocation.event["version"] == "2.0"
    assert invocation.event["rawPath"] == contract.HEALTH_PATH
    assert invocation.event["requestContext"]["http"]["method"] == "GET"
    assert invocation.event["requestContext"]["requestId"] == EXECUTION_ID
    assert invocation.result is not None
    assert invocation.result["statusCode"] == 200
    assert json.loads(invocation.result["body"])[contract.HEALTH_FUNCTION_VERSION_FIELD] == version


def test_version_reporting_another_version_fails(
    runtime_handler: ModuleType,
    lambda_service: InProcessLambda,
    codedeploy: Stubber,
    monkeypatch: pytest.MonkeyPatch,
):
    """The runtime answers 200 but says it is not the version CodeDeploy is about to shift traffic to."""
    other = str(int(deployed_version(runtime_handler)) + 1)
    expect_report(codedeploy, "Failed")

    outcome = run_hook(monkeypatch, f"{FUNCTION_ARN}:{other}")

    assert outcome["status"] == "Failed"
    assert f"expected '{other}'" in outcome["reason"]
    (invocation,) = lambda_service.invocations
    assert invocation.result is not None
    assert invocation.result["statusCode"] == 200


def test_version_answering_500_fails(
    runtime_handler: ModuleType,
    lambda_service: InProcessLambda,
    codedeploy: Stubber,
    monkeypatch: pytest.MonkeyPatch,
):
    """Injected fault: building the health response raises, and the runtime answers its 500 envelope."""
    from runtime.errors import ErrorCode
    from runtime.routers import health as health_route

    version = deployed_version(runtime_handler)

    def broken_health(**_: Any) -> Any:
        raise KeyError("function_version")

    monkeypatch.setattr(health_route, "Health", broken_health)
    expect_report(codedeploy, "Failed")

    outcome = run_hook(monkeypatch, f"{FUNCTION_ARN}:{version}")

    assert outcome["status"] == "Failed"
    assert "answered 500" in outcome["reason"]
    (invocation,) = lambda_service.invocations
    assert invocation.result is not None
    assert json.loads(invocation.result["body"])["error"]["code"] == ErrorCode.INTERNAL_ERROR


def test_version_whose_handler_crashes_fails(
    runtime_handler: ModuleType,
    lambda_service: InProcessLambda,
    codedeploy: Stubber,
    monkeypatch: pytest.MonkeyPatch,
):
    """Injected fault: the ASGI adapter raises, so Lambda reports a FunctionError instead of a response."""
    version = deployed_version(runtime_handler)

    def crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("cannot import the new dependency")

    monkeypatch.setattr(runtime_handler, "_asgi_adapter", crash)
    expect_report(codedeploy, "Failed")

    outcome = run_hook(monkeypatch, f"{FUNCTION_ARN}:{version}")

    assert outcome["status"] == "Failed"
    assert "invocation failed (Unhandled)" in outcome["reason"]
    assert "cannot import the new dependency" in outcome["reason"]


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


def test_hook_reads_the_health_contract_of_the_runtime():
    """The hook cannot import runtime.contract (it is deployed alone), so its copies are checked here."""
    assert index.HEALTH_PATH == contract.HEALTH_PATH
    assert index.HEALTH_VERSION_FIELD == contract.HEALTH_FUNCTION_VERSION_FIELD


def test_hook_asset_is_one_module_of_stdlib_and_boto3():
    sources = sorted(p.name for p in PRE_TRAFFIC_HOOK_CODE.iterdir() if p.suffix == ".py")
    assert sources == ["__init__.py", "index.py"]
    assert (PRE_TRAFFIC_HOOK_CODE / "__init__.py").read_text() == ""
    tree = ast.parse((PRE_TRAFFIC_HOOK_CODE / "index.py").read_text())
    runtime_imports = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            runtime_imports |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            runtime_imports.add(node.module.split(".")[0])
    assert runtime_imports - set(sys.stdlib_module_names) == {"boto3", "botocore"}
