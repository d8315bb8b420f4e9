"""CodeDeploy ``BeforeAllowTraffic`` hook: smoke-test the new version before it takes any traffic.

CodeDeploy invokes this function with ``DeploymentId`` and ``LifecycleEventHookExecutionId`` only; the
version being deployed is not in the event. The stack sets ``TARGET_VERSION_ARN`` to the qualified ARN of
the version the same CloudFormation update publishes, so the hook invokes exactly that version (not the
alias, which still points at the old one) with an API Gateway payload 2.0 ``GET /health`` event. The version
passes when it answers 200 and reports itself as that version; anything else, including an invocation error,
fails the deployment. The verdict is always reported, because CodeDeploy otherwise waits for the hook's
timeout before rolling back.

Standard library and boto3 only: this file is the whole deployed asset.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_codedeploy import CodeDeployClient
    from mypy_boto3_lambda import LambdaClient

ENV_TARGET_VERSION_ARN = "TARGET_VERSION_ARN"
HEALTH_PATH = "/health"
HEALTH_VERSION_FIELD = "function_version"
"""Field of the ``GET /health`` body that carries ``AWS_LAMBDA_FUNCTION_VERSION``."""

INVOKE_CONFIG = Config(connect_timeout=5, read_timeout=60, retries={"mode": "standard", "max_attempts": 3})
"""A cold (or SnapStart-restoring) first invocation may take seconds; throttling is retried, not fatal."""

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)


@dataclass(frozen=True)
class Verdict:
    """Outcome of the smoke test: ``passed`` and a one-line reason for the logs."""

    passed: bool
    reason: str

    @property
    def status(self) -> Literal["Succeeded", "Failed"]:
        return "Succeeded" if self.passed else "Failed"


def health_event(request_id: str, now_ms: int) -> dict[str, Any]:
    """An API Gateway HTTP API payload 2.0 event for ``GET /health``, as the ``$default`` stage sends it."""
    return {
        "version": "2.0",
        "routeKey": f"GET {HEALTH_PATH}",
        "rawPath": HEALTH_PATH,
        "rawQueryString": "",
        "headers": {"accept": "application/json", "user-agent": "codedeploy-pre-traffic-hook"},
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "codedeploy-pre-traffic-hook",
            "domainName": "pre-traffic-hook.invalid",
            "domainPrefix": "pre-traffic-hook",
            "http": {
                "method": "GET",
                "path": HEALTH_PATH,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "codedeploy-pre-traffic-hook",
            },
            "requestId": request_id,
            "routeKey": f"GET {HEALTH_PATH}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
            "timeEpoch": now_ms,
        },
        "isBase64Encoded": False,
    }


def expected_version(target_version_arn: str) -> str:
    """The version number at the end of a qualified function ARN (``...:function:name:7`` gives ``"7"``)."""
    qualifier = target_version_arn.rsplit(":", 1)[-1]
    if not qualifier.isdigit():
        raise ValueError(
            f"{ENV_TARGET_VERSION_ARN} must be a published version's ARN, got {target_version_arn!r}"
        )
    return qualifier


def smoke_test(lambda_client: LambdaClient, target_version_arn: str, request_id: str) -> Verdict:
    """Invoke ``GET /health`` on the target version and judge the answer."""
    version = expected_version(target_version_arn)
    event = health_event(request_id, int(time.time() * 1000))
    response = lambda_client.invoke(
        FunctionName=target_version_arn,
        InvocationType="RequestResponse",
        Payload=json.dumps(event).encode(),
    )
    executed = response.get("ExecutedVersion")
    if executed != version:
        return Verdict(False, f"invoked version {executed!r}, expected {version!r}")
    payload = response["Payload"].read()
    function_error = response.get("FunctionError")
    if function_error:
        return Verdict(False, f"invocation failed ({function_error}): {payload[:500]!r}")
    return judge_health(json.loads(payload), version)


def judge_health(result: Any, version: str) -> Verdict:
    """Judge the function's payload 2.0 response to ``GET /health``."""
    if not isinstance(result, dict):
        return Verdict(False, f"response is not a payload 2.0 result: {result!r:.200}")
    status = result.get("statusCode")
    if status != 200:
        return Verdict(False, f"GET {HEALTH_PATH} answered {status}: {str(result.get('body'))[:500]}")
    try:
        body = json.loads(result.get("body") or "")
    except json.JSONDecodeError:
        return Verdict(False, f"GET {HEALTH_PATH} body is not JSON: {str(result.get('body'))[:200]}")
    reported = body.get(HEALTH_VERSION_FIELD) if isinstance(body, dict) else None
    if reported != version:
        return Verdict(False, f"GET {HEALTH_PATH} reports version {reported!r}, expected {version!r}")
    return Verdict(True, f"version {version} answered GET {HEALTH_PATH} with 200")


def run(
    event: dict[str, Any],
    *,
    lambda_client: LambdaClient,
    codedeploy_client: CodeDeployClient,
    target_version_arn: str,
) -> Verdict:
    """Smoke-test, then report the verdict to CodeDeploy, whatever happened during the test."""
    deployment_id = event["DeploymentId"]
    execution_id = event["LifecycleEventHookExecutionId"]
    try:
        verdict = smoke_test(lambda_client, target_version_arn, request_id=execution_id)
    except Exception as error:  # noqa: BLE001 - any failure of the smoke test must fail the deployment
        verdict = Verdict(False, f"smoke test raised {type(error).__name__}: {error}")
    logger.info(
        "pre-traffic smoke test %s: %s",
        verdict.status,
        verdict.reason,
        extra={"deployment_id": deployment_id, "target_version_arn": target_version_arn},
    )
    codedeploy_client.put_lifecycle_event_hook_execution_status(
        deploymentId=deployment_id,
        lifecycleEventHookExecutionId=execution_id,
        status=verdict.status,
    )
    return verdict


@cache
def _lambda_client() -> LambdaClient:
    return boto3.client("lambda", config=INVOKE_CONFIG)


@cache
def _codedeploy_client() -> CodeDeployClient:
    return boto3.client("codedeploy")


def handler(event: dict[str, Any], _context: object) -> dict[str, str]:
    """Lambda entry point."""
    verdict = run(
        event,
        lambda_client=_lambda_client(),
        codedeploy_client=_codedeploy_client(),
        target_version_arn=os.environ.get(ENV_TARGET_VERSION_ARN, ""),
    )
    return {"status": verdict.status, "reason": verdict.reason}
