"""CodeDeploy ``AfterAllowTraffic`` hook: the checks through the public HTTP API, after the shift.

The pre-traffic hook proves the new version behind the JWT authorizer's back; this one goes the way a client
does, over HTTPS to the stage URL, so a fault only the gateway path shows (the authorizer, the routes, the
CORS headers on an answer to an allowed ``Origin``) fails the deployment, and CodeDeploy rolls the alias back.
The health route must report the version the deployment published: by now all traffic reaches it.

The caller is a Cognito app client of its own with only the ``client_credentials`` grant and one dedicated
scope. Its secret is read at run time (``cognito-idp:DescribeUserPoolClient`` on that client only), a token
is fetched from the user pool domain's ``/oauth2/token`` endpoint, and every request but the health check
carries it. Such a token's ``sub`` is the client id, which no user's ``sub`` (a UUID) can be, so whatever
the check creates belongs to no user. The verdict is always reported, as in :mod:`pre_traffic`.

Standard library and boto3 only: this folder is the whole deployed asset.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

import boto3

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


class ClientDescriber(Protocol):
    """The one call of boto3's ``cognito-idp`` client the hook makes."""

    def describe_user_pool_client(self, *, UserPoolId: str, ClientId: str) -> Mapping[str, Any]: ...  # noqa: N803


ENV_STAGE_URL = "STAGE_URL"
ENV_TOKEN_URL = "TOKEN_URL"  # noqa: S105 (a variable name)
"""The user pool domain's ``/oauth2/token`` endpoint."""
ENV_USER_POOL_ID = "USER_POOL_ID"
ENV_CLIENT_ID = "CLIENT_ID"
ENV_SCOPE = "SCOPE"
ENV_ALLOWED_ORIGIN = "ALLOWED_ORIGIN"
"""A browser origin the stage allows (empty when CORS is off): every answer must carry it back."""
ENV_EXPECTED_VERSION = "EXPECTED_VERSION"

GATEWAY_TIMEOUT_SECONDS = 30
"""API Gateway's HTTP API integration timeout: no request through the stage lasts longer."""
CONNECT_SECONDS = 3
USER_AGENT = "codedeploy-post-traffic-hook"


@dataclass(frozen=True)
class Settings:
    stage_url: str
    token_url: str
    user_pool_id: str
    client_id: str
    scope: str
    allowed_origin: str
    expected_version: str
    timeout_seconds: int
    health: HealthSettings

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        values = {
            name: environ.get(name, "")
            for name in (ENV_STAGE_URL, ENV_TOKEN_URL, ENV_USER_POOL_ID, ENV_CLIENT_ID, ENV_SCOPE)
        }
        missing = sorted(name for name, value in values.items() if not value)
        if missing:
            raise ValueError(f"missing configuration: {', '.join(missing)}")
        version = environ.get(ENV_EXPECTED_VERSION, "")
        if not version.isdigit():
            raise ValueError(f"{ENV_EXPECTED_VERSION} must be a published version number, got {version!r}")
        for name in (ENV_STAGE_URL, ENV_TOKEN_URL):
            require_https(name, values[name])
        return cls(
            stage_url=values[ENV_STAGE_URL].rstrip("/"),
            token_url=values[ENV_TOKEN_URL],
            user_pool_id=values[ENV_USER_POOL_ID],
            client_id=values[ENV_CLIENT_ID],
            scope=values[ENV_SCOPE],
            allowed_origin=environ.get(ENV_ALLOWED_ORIGIN, ""),
            expected_version=version,
            timeout_seconds=target_timeout(environ.get(ENV_TARGET_TIMEOUT_SECONDS, "")),
            health=HealthSettings.from_environment(environ),
        )


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


def call_seconds(timeout_seconds: int) -> float:
    """The longest one request through the stage can take: the gateway gives up after 30 s."""
    return min(timeout_seconds, GATEWAY_TIMEOUT_SECONDS) + CONNECT_SECONDS


def _open(request: urllib.request.Request, timeout: float) -> probe.Response:
    """Any HTTP answer, error statuses included, as a :class:`probe.Response`."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (scheme checked)
            status, headers, body = answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, error.headers, error.read()
    return probe.Response(status=status, headers={k.lower(): v for k, v in headers.items()}, body=body)


def fetch_token(settings: Settings, client_secret: str) -> str:
    """An access token by the OAuth 2.0 client-credentials grant, as Cognito's token endpoint issues it."""
    credentials = base64.b64encode(f"{settings.client_id}:{client_secret}".encode()).decode()
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": settings.scope}).encode()
    request = urllib.request.Request(  # noqa: S310 (scheme checked)
        settings.token_url,
        data=form,
        method="POST",
        headers={
            "authorization": f"Basic {credentials}",
            "content-type": "application/x-www-form-urlencoded",
            "user-agent": USER_AGENT,
        },
    )
    answer = _open(request, CONNECT_SECONDS + 5)
    if answer.status != 200:
        raise RuntimeError(f"token endpoint answered {answer.status}: {answer.body[:300]!r}")
    token = json.loads(answer.body).get("access_token")
    if not isinstance(token, str) or not token:
        raise RuntimeError("token endpoint's answer has no access_token")
    return token


class PreflightRefusedError(Exception):
    """The stage refused the CORS preflight a browser sends before the request: browsers never send it."""


SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "user-agent"})
SIMPLE_METHODS = frozenset({"GET", "HEAD", "POST"})


def preflight(settings: Settings, url: str, method: str, headers: Mapping[str, str], timeout: float) -> None:
    """Send the preflight a browser at ``allowed_origin`` would, for a request that is not "simple"."""
    custom = sorted(name for name in headers if name not in SAFELISTED_HEADERS | {"origin"})
    if method in SIMPLE_METHODS and not custom:
        return
    request = urllib.request.Request(  # noqa: S310 (scheme checked)
        url,
        method="OPTIONS",
        headers={
            "origin": settings.allowed_origin,
            "access-control-request-method": method,
            "access-control-request-headers": ",".join(custom),
            "user-agent": USER_AGENT,
        },
    )
    answer = _open(request, timeout)
    allowed_methods = {m.strip() for m in (answer.header("access-control-allow-methods") or "").split(",")}
    allowed_headers = {h.strip() for h in (answer.header("access-control-allow-headers") or "").split(",")}
    if (
        not 200 <= answer.status < 300
        or answer.header("access-control-allow-origin") not in {settings.allowed_origin, "*"}
        or not ({method, "*"} & allowed_methods)
        or not (set(custom) <= allowed_headers or "*" in allowed_headers)
    ):
        raise PreflightRefusedError(
            f"OPTIONS {urllib.parse.urlsplit(url).path} for {method} answered {answer.status} "
            f"(allow-origin {answer.header('access-control-allow-origin')!r}, "
            f"allow-methods {sorted(allowed_methods - {''})}, allow-headers {sorted(allowed_headers - {''})})"
        )


def stage_sender(settings: Settings, token: str) -> probe.Send:
    """A :data:`probe.Send` to the stage, as a browser page at ``allowed_origin`` would call it.

    With an allowed origin, a request that is not "simple" (any with a token) is preceded by its CORS
    preflight; a refused preflight is an answer the browser never gets past (:class:`PreflightRefusedError`).
    """
    timeout = call_seconds(settings.timeout_seconds)

    def send(request: probe.Request) -> probe.Response:
        url = settings.stage_url + request.path + (f"?{request.query}" if request.query else "")
        headers = request.all_headers() | {"user-agent": USER_AGENT}
        if request.path != settings.health.path:
            headers["authorization"] = f"Bearer {token}"
        if settings.allowed_origin:
            headers["origin"] = settings.allowed_origin
        if settings.allowed_origin:
            preflight(settings, url, request.method, headers, timeout)
        outgoing = urllib.request.Request(  # noqa: S310 (scheme checked)
            url, data=request.encoded_body(), method=request.method, headers=headers
        )
        return _open(outgoing, timeout)

    return send


def cors_check(allowed_origin: str) -> probe.Check | None:
    """Every answer to a request from ``allowed_origin`` names it in ``Access-Control-Allow-Origin``."""
    if not allowed_origin:
        return None

    def check(response: probe.Response) -> str | None:
        allowed = response.header("access-control-allow-origin")
        if allowed == allowed_origin:
            return None
        return f"CORS: access-control-allow-origin {allowed!r}, expected {allowed_origin!r}"

    return check


def run(
    event: dict[str, Any],
    *,
    remaining_ms: Callable[[], int],
    environ: Mapping[str, str],
    cognito_client: ClientDescriber,
    codedeploy_client: CodeDeployClient,
    service_check: probe.ServiceCheck | None,
) -> Verdict:
    """Authenticate, run the round trip through the stage, then report the verdict, whatever happened."""
    deployment_id = event["DeploymentId"]
    execution_id = event["LifecycleEventHookExecutionId"]
    trip = probe.Trip()
    try:
        settings = Settings.from_environment(environ)
        budget = probe.Budget(
            remaining_ms=remaining_ms,
            call_seconds=call_seconds(settings.timeout_seconds),
            report_seconds=REPORT_SECONDS,
            slow_seconds=settings.timeout_seconds * SLOW_FRACTION,
        )
        budget.start("token", cleanup_pending=False)
        try:
            described = cognito_client.describe_user_pool_client(
                UserPoolId=settings.user_pool_id, ClientId=settings.client_id
            )
            token = fetch_token(settings, described["UserPoolClient"]["ClientSecret"])
        except Exception as error:
            raise probe.StepFailedError("token", f"{type(error).__name__}: {error}") from error
        send = stage_sender(settings, token)
        probe.run(
            send,
            health_path=settings.health.path,
            version_field=settings.health.version_field,
            expected_version=settings.expected_version,
            budget=budget,
            trip=trip,
            check=cors_check(settings.allowed_origin),
            service_check=service_check,
        )
        verdict = Verdict(
            True, f"version {settings.expected_version} passed {', '.join(trip.passed)} through the stage"
        )
    except probe.StepFailedError as failure:
        verdict = Verdict(False, str(failure))
    except Exception as error:  # noqa: BLE001 - any failure of the hook must fail the deployment
        verdict = Verdict(False, f"hook raised {type(error).__name__}: {error}")
    return report(
        verdict,
        codedeploy_client,
        hook="post-traffic",
        deployment_id=deployment_id,
        execution_id=execution_id,
        extra={"passed": trip.passed},
    )


@cache
def _cognito_client() -> ClientDescriber:
    client: ClientDescriber = boto3.client("cognito-idp", config=REPORT_CONFIG)
    return client


@cache
def _codedeploy_client() -> CodeDeployClient:
    return boto3.client("codedeploy", config=REPORT_CONFIG)


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Lambda entry point."""
    verdict = run(
        event,
        remaining_ms=context.get_remaining_time_in_millis,
        environ=os.environ,
        cognito_client=_cognito_client(),
        codedeploy_client=_codedeploy_client(),
        service_check=probe.load_service_check(),
    )
    return {"status": verdict.status, "reason": verdict.reason}
