"""The deployment hooks' code asset and timeout, as ``CanaryDeployment`` deploys them.

The asset is the library's hook modules (``serverless_fastapi_cdk/hooks``) and the caller's check.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

from serverless_fastapi_cdk.bundling import digest
from serverless_fastapi_cdk.canary_props import DeploymentChecks

DEPLOYMENT_HOOKS_CODE = Path(__file__).resolve().parent / "hooks"
"""Folder of the deployment hooks' code: stdlib + boto3 modules, deployed as is."""
PRE_TRAFFIC_HANDLER = "pre_traffic.handler"
POST_TRAFFIC_HANDLER = "post_traffic.handler"
SERVICE_CHECK_MODULE = "service_check"
"""Name the caller's check module gets in the hooks' asset (:class:`DeploymentChecks.service_check`)."""
HOOK_RUNTIME = lambda_.Runtime.PYTHON_3_13
"""The runtime the hooks' code is written and tested for; it moves with a release of this library."""

ENV_TARGET_VERSION_ARN = "TARGET_VERSION_ARN"
"""Environment variable that tells the hook which qualified version ARN to test."""
ENV_TARGET_TIMEOUT_SECONDS = "TARGET_TIMEOUT_SECONDS"
"""Environment variable holding the tested function's timeout, from which the hook budgets its calls."""
ENV_HEALTH_PATH = "HEALTH_PATH"
ENV_HEALTH_VERSION_FIELD = "HEALTH_VERSION_FIELD"
HOOK_CALL_OVERHEAD_SECONDS = 5
"""Connection and start-up time the hook allows per request beyond the function's timeout."""
HOOK_REPORT_SECONDS = 30
"""Time the hook keeps for reporting to CodeDeploy and its own start."""
MAX_HOOK_TIMEOUT = cdk.Duration.minutes(15)


def hook_timeout(function_timeout: cdk.Duration, *, calls: int) -> cdk.Duration:
    """Room for ``calls`` requests at the function's timeout, and the report; at most 15 minutes.

    The hook also checks the time left before each request (``probe.Budget``), so even a capped timeout
    never lets Lambda stop it before it has reported.
    """
    seconds = calls * (function_timeout.to_seconds() + HOOK_CALL_OVERHEAD_SECONDS) + HOOK_REPORT_SECONDS
    return cdk.Duration.seconds(min(seconds, MAX_HOOK_TIMEOUT.to_seconds()))


@jsii.implements(cdk.ILocalBundling)
class _HooksBundler:
    """Copies the library's hook modules, and the caller's check as ``service_check.py``, into the asset."""

    def __init__(self, service_check: Path | None) -> None:
        self._service_check = service_check

    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        for module in sorted(DEPLOYMENT_HOOKS_CODE.glob("*.py")):
            shutil.copyfile(module, Path(output_dir) / module.name)
        if self._service_check is not None:
            shutil.copyfile(self._service_check, Path(output_dir) / f"{SERVICE_CHECK_MODULE}.py")
        return True


def hooks_code(checks: DeploymentChecks) -> lambda_.Code:
    """The hooks' code asset: stdlib + boto3 modules as they are, hashed by their contents (no Docker)."""
    modules = sorted(DEPLOYMENT_HOOKS_CODE.glob("*.py"))
    parts: list[bytes | str] = [part for module in modules for part in (module.name, module.read_bytes())]
    if checks.service_check is not None:
        parts += [f"{SERVICE_CHECK_MODULE}.py", checks.service_check.read_bytes()]
    return lambda_.Code.from_asset(
        str(DEPLOYMENT_HOOKS_CODE),
        asset_hash=digest(parts),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        bundling=cdk.BundlingOptions(
            image=HOOK_RUNTIME.bundling_image, local=_HooksBundler(checks.service_check)
        ),
    )
