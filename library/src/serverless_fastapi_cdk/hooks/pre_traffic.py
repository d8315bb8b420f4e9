"""CodeDeploy ``BeforeAllowTraffic`` hook: check the new version before it takes any traffic.

CodeDeploy invokes this function with ``DeploymentId`` and ``LifecycleEventHookExecutionId`` only; the
version being deployed is not in the event. The stack sets ``TARGET_VERSION_ARN`` to the qualified ARN of
the version the same CloudFormation update publishes, so the hook invokes exactly that version (not the
alias, which still points at the old one) with API Gateway payload 2.0 events, the way the HTTP API would
after its JWT authorizer. The version passes when every step of :mod:`probe` does (the health check, then
the service's own check); anything else, an invocation error, a throttle that outlasts the budget, or a
misconfiguration, fails the deployment.
The verdict is always reported, because CodeDeploy otherwise waits up to an hour before rolling back.

The caller is synthetic: its ``sub`` is ``deployment-hook:<deployment id>``. Cognito gives every user a
UUID as ``sub``, and a client-credentials token the app client id (letters and digits), so no token the
user pool issues carries a colon there, and the JWT authorizer only admits the pool's tokens: no real
caller can own (or see) what the check creates. Only this hook can put such a ``sub`` in front of the
function, because only its role may invoke the version directly.

Standard library and boto3 only: this folder is the whole deployed asset.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

try:
    from . import probe
    from .hook_common import (
        ENV_TARGET_TIMEOUT_SECONDS,
        REPORT_CONFIG,
        REPORT_SECONDS,
        SLOW_FRACTION,
        HealthSettings,
        Verdict,
        report,
        target_timeout,
    )
except ImportError:  # deployed: the asset's folder is Lambda's task root, not a package
    import probe  # type: ignore[import-not-found,no-redef]
    from hook_common import (  # type: ignore[import-not-found,no-redef]
        ENV_TARGET_TIMEOUT_SECONDS,
        REPORT_CONFIG,
        REPORT_SECONDS,
        SLOW_FRACTION,
        HealthSettings,
        Verdict,
        report,
        target_timeout,
    )

if TYPE_CHECKING:
    from mypy_boto3_codedeploy import CodeDeployClient
    from mypy_boto3_lambda import LambdaClient

ENV_TARGET_VERSION_ARN = "TARGET_VERSION_ARN"
SYNTHETIC_SUB_PREFIX = "deployment-hook:"
"""Namespace of the synthetic caller's ``sub``; a colon never occurs in a ``sub`` the user pool issues."""

CONNECT_SECONDS = 3
INVOKE_MARGIN_SECONDS = 2
"""Added to the function's timeout for Lambda's own overhead (a cold or SnapStart-restoring start)."""
THROTTLE_ATTEMPTS = 3


def expected_version(target_version_arn: str) -> str:
    """The version number at the end of a qualified function ARN (``...:function:name:7`` gives ``"7"``)."""
    qualifier = target_version_arn.rsplit(":", 1)[-1]
    if not qualifier.isdigit():
        raise ValueError(
            f"{ENV_TARGET_VERSION_ARN} must be a published version's ARN, got {target_version_arn!r}"
        )
    return qualifier


def synthetic_sub(deployment_id: str) -> str:
    return f"{SYNTHETIC_SUB_PREFIX}{deployment_id}"


def payload_event(request: probe.Request, *, sub: str, health_path: str) -> dict[str, Any]:
    """The payload 2.0 event the ``$default`` stage sends once its JWT authorizer has admitted ``sub``
    (the public health route has no authorizer)."""
    now_ms = int(time.time() * 1000)
    body = request.encoded_body()
    headers = request.all_headers() | {"user-agent": "codedeploy-pre-traffic-hook"}
    if body is not None:
        headers["content-length"] = str(len(body))
    route_key = f"GET {request.path}" if request.path == health_path else "ANY /{proxy+}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "codedeploy-pre-traffic-hook",
            "domainName": "pre-traffic-hook.invalid",
            "domainPrefix": "pre-traffic-hook",
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "codedeploy-pre-traffic-hook",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
            "timeEpoch": now_ms,
        },
        "isBase64Encoded": False,
    }
    if request.query:
        event["queryStringParameters"] = dict(p.split("=", 1) for p in request.query.split("&"))
    if request.path != health_path:
        event["pathParameters"] = {"proxy": request.path.lstrip("/")}
        event["requestContext"]["authorizer"] = {
            "jwt": {"claims": {"sub": sub, "token_use": "access"}, "scopes": None}
        }
    if body is not None:
        event["body"] = body.decode()
    return event


def invoker(
    lambda_client: LambdaClient, target_version_arn: str, *, sub: str, budget: probe.Budget, health_path: str
) -> probe.Send:
    """A :data:`probe.Send` that invokes the target version; throttles are retried while time allows."""
    version = expected_version(target_version_arn)

    def send(request: probe.Request) -> probe.Response:
        payload = json.dumps(payload_event(request, sub=sub, health_path=health_path)).encode()
        for attempt in range(1, THROTTLE_ATTEMPTS + 1):
            try:
                response = lambda_client.invoke(
                    FunctionName=target_version_arn, InvocationType="RequestResponse", Payload=payload
                )
                break
            except ClientError as error:
                throttled = error.response.get("Error", {}).get("Code") == "TooManyRequestsException"
                if not throttled or attempt == THROTTLE_ATTEMPTS or not budget.allows_cleanup():
                    raise
                time.sleep(attempt)
        executed = response.get("ExecutedVersion")
        if executed != version:
            raise RuntimeError(f"invoked version {executed!r}, expected {version!r}")
        raw = response["Payload"].read()
        if response.get("FunctionError"):
            raise RuntimeError(f"invocation failed ({response['FunctionError']}): {raw[:500]!r}")
        return parse_result(json.loads(raw))

    return send


def parse_result(result: Any) -> probe.Response:
    """A payload 2.0 Lambda result as the HTTP response API Gateway would make of it."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise ValueError(f"not a payload 2.0 result: {result!r:.200}")
    headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    body = str(result.get("body") or "")
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    return probe.Response(status=result["statusCode"], headers=headers, body=raw)


def run(
    event: dict[str, Any],
    *,
    remaining_ms: Callable[[], int],
    lambda_client: Callable[[int], LambdaClient],
    codedeploy_client: CodeDeployClient,
    target_version_arn: str,
    target_timeout_seconds: str,
    environ: Mapping[str, str],
    service_check: probe.ServiceCheck | None,
) -> Verdict:
    """Run the checks, then report the verdict to CodeDeploy, whatever happened during them."""
    deployment_id = event["DeploymentId"]
    execution_id = event["LifecycleEventHookExecutionId"]
    trip = probe.Trip()
    try:
        health = HealthSettings.from_environment(environ)
        timeout = target_timeout(target_timeout_seconds)
        version = expected_version(target_version_arn)
        budget = probe.Budget(
            remaining_ms=remaining_ms,
            call_seconds=timeout + CONNECT_SECONDS + INVOKE_MARGIN_SECONDS,
            report_seconds=REPORT_SECONDS,
            slow_seconds=timeout * SLOW_FRACTION,
        )
        send = invoker(
            lambda_client(timeout),
            target_version_arn,
            sub=synthetic_sub(deployment_id),
            budget=budget,
            health_path=health.path,
        )
        probe.run(
            send,
            health_path=health.path,
            version_field=health.version_field,
            expected_version=version,
            budget=budget,
            trip=trip,
            service_check=service_check,
        )
        verdict = Verdict(True, f"version {version} passed {', '.join(trip.passed)}")
    except probe.StepFailedError as failure:
        verdict = Verdict(False, str(failure))
    except Exception as error:  # noqa: BLE001 - any failure of the hook must fail the deployment
        verdict = Verdict(False, f"hook raised {type(error).__name__}: {error}")
    return report(
        verdict,
        codedeploy_client,
        hook="pre-traffic",
        deployment_id=deployment_id,
        execution_id=execution_id,
        extra={"target_version_arn": target_version_arn, "passed": trip.passed},
    )


@cache
def _lambda_client(timeout_seconds: int) -> LambdaClient:
    """Each attempt may last the function's timeout; retries are the hook's own, within its budget."""
    config = Config(
        connect_timeout=CONNECT_SECONDS,
        read_timeout=timeout_seconds + INVOKE_MARGIN_SECONDS,
        retries={"mode": "standard", "max_attempts": 1},
    )
    return boto3.client("lambda", config=config)


@cache
def _codedeploy_client() -> CodeDeployClient:
    return boto3.client("codedeploy", config=REPORT_CONFIG)


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Lambda entry point."""
    verdict = run(
        event,
        remaining_ms=context.get_remaining_time_in_millis,
        lambda_client=_lambda_client,
        codedeploy_client=_codedeploy_client(),
        target_version_arn=os.environ.get(ENV_TARGET_VERSION_ARN, ""),
        target_timeout_seconds=os.environ.get(ENV_TARGET_TIMEOUT_SECONDS, ""),
        environ=os.environ,
        service_check=probe.load_service_check(),
    )
    return {"status": verdict.status, "reason": verdict.reason}
