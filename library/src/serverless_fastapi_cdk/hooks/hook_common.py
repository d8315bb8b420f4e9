"""What both deployment hooks share: their settings of the check, its time budget and the report.

Standard library and boto3 only: this module is part of the hooks' deployed asset.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_codedeploy import CodeDeployClient

ENV_TARGET_TIMEOUT_SECONDS = "TARGET_TIMEOUT_SECONDS"
"""The service function's timeout: the longest one invocation of it can take."""
ENV_HEALTH_PATH = "HEALTH_PATH"
ENV_HEALTH_VERSION_FIELD = "HEALTH_VERSION_FIELD"
"""Field of the health answer naming the function version; unset when the service names none."""

REPORT_SECONDS = 20
"""Time kept back to report to CodeDeploy: two attempts of connect (3 s) and read (5 s), with slack."""
SLOW_FRACTION = 0.5
"""A step after the first that takes more than this share of the function's timeout fails the version."""
REPORT_CONFIG = Config(connect_timeout=3, read_timeout=5, retries={"mode": "standard", "max_attempts": 2})

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)


@dataclass(frozen=True)
class HealthSettings:
    """Where the service's health route is, and which field of its answer names the function version."""

    path: str
    version_field: str | None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> HealthSettings:
        path = environ.get(ENV_HEALTH_PATH, "")
        if not path.startswith("/"):
            raise ValueError(f"{ENV_HEALTH_PATH} must be the health route's path, got {path!r}")
        return cls(path=path, version_field=environ.get(ENV_HEALTH_VERSION_FIELD) or None)


@dataclass(frozen=True)
class Verdict:
    """Outcome of the hook: ``passed`` and a one-line reason for the logs."""

    passed: bool
    reason: str

    @property
    def status(self) -> Literal["Succeeded", "Failed"]:
        return "Succeeded" if self.passed else "Failed"


def report(
    verdict: Verdict,
    codedeploy_client: CodeDeployClient,
    *,
    hook: str,
    deployment_id: str,
    execution_id: str,
    extra: Mapping[str, object],
) -> Verdict:
    """Log a hook's verdict and report it to CodeDeploy: the last thing each hook does, whatever happened."""
    log = logger.info if verdict.passed else logger.error
    log(
        "%s round trip %s: %s",
        hook,
        verdict.status,
        verdict.reason,
        extra={"deployment_id": deployment_id, **extra},
    )
    codedeploy_client.put_lifecycle_event_hook_execution_status(
        deploymentId=deployment_id,
        lifecycleEventHookExecutionId=execution_id,
        status=verdict.status,
    )
    return verdict


def target_timeout(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError(
            f"{ENV_TARGET_TIMEOUT_SECONDS} must be the function's timeout in seconds, got {value!r}"
        )
    return int(value)
