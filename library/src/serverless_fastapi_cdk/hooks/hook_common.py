"""What both deployment hooks share: their settings of the check, its time budget and the report.

Standard library and boto3 only: this module is part of the hooks' deployed asset.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

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

ENV_TOKEN_URL = "TOKEN_URL"  # noqa: S105 (a variable name)
"""The user pool domain's ``/oauth2/token`` endpoint."""
ENV_USER_POOL_ID = "USER_POOL_ID"
ENV_CLIENT_ID = "CLIENT_ID"
ENV_SCOPE = "SCOPE"
MACHINE_CLIENT_VARIABLES = (ENV_TOKEN_URL, ENV_USER_POOL_ID, ENV_CLIENT_ID, ENV_SCOPE)
"""Where a hook gets its caller's access token: the machine client's pool, id, scope and token endpoint."""
TOKEN_SECONDS = 8

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


class ClientDescriber(Protocol):
    """The one call of boto3's ``cognito-idp`` client the hooks make."""

    def describe_user_pool_client(self, *, UserPoolId: str, ClientId: str) -> Mapping[str, Any]: ...  # noqa: N803


def require_https(name: str, url: str) -> None:
    """HTTPS, except plain HTTP to a loopback address (the local emulator)."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "https":
        return
    try:
        loopback = ipaddress.ip_address(parsed.hostname or "").is_loopback
    except ValueError:
        loopback = False
    if not (parsed.scheme == "http" and loopback):
        raise ValueError(f"{name} must be an https:// URL, got {url!r}")


def client_credentials_token(
    environ: Mapping[str, str], cognito_client: ClientDescriber, *, user_agent: str
) -> str:
    """An access token of the machine client :data:`MACHINE_CLIENT_VARIABLES` name, by the OAuth 2.0
    client-credentials grant; its secret is read at run time (``DescribeUserPoolClient``)."""
    values = {name: environ.get(name, "") for name in MACHINE_CLIENT_VARIABLES}
    missing = sorted(name for name, value in values.items() if not value)
    if missing:
        raise ValueError(f"missing configuration: {', '.join(missing)}")
    require_https(ENV_TOKEN_URL, values[ENV_TOKEN_URL])
    described = cognito_client.describe_user_pool_client(
        UserPoolId=values[ENV_USER_POOL_ID], ClientId=values[ENV_CLIENT_ID]
    )
    secret = described["UserPoolClient"]["ClientSecret"]
    credentials = base64.b64encode(f"{values[ENV_CLIENT_ID]}:{secret}".encode()).decode()
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": values[ENV_SCOPE]}).encode()
    request = urllib.request.Request(  # noqa: S310 (scheme checked)
        values[ENV_TOKEN_URL],
        data=form,
        method="POST",
        headers={
            "authorization": f"Basic {credentials}",
            "content-type": "application/x-www-form-urlencoded",
            "user-agent": user_agent,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TOKEN_SECONDS) as answer:  # noqa: S310 (scheme checked)
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    if status != 200:
        raise RuntimeError(f"token endpoint answered {status}: {body[:300]!r}")
    token = json.loads(body).get("access_token")
    if not isinstance(token, str) or not token:
        raise RuntimeError("token endpoint's answer has no access_token")
    return token
