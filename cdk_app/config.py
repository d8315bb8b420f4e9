"""Per-environment settings, in code: everything that differs between dev, staging and prod.

Each environment is one frozen :class:`EnvironmentConfig`. Invalid values and invalid combinations raise
:class:`ConfigError` when the object is built, so a bad setting fails ``cdk synth`` with a message that
names the field. ``app.py`` is the only place that reads these and the only place that applies the
overrides CDK context gives for an environment (:func:`with_context`: account, region, alarm subscribers).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from aws_cdk import RemovalPolicy
from aws_cdk.aws_logs import RetentionDays

from cdk_app.service import cors_for
from serverless_fastapi_cdk.api_function import ColdStart, LogLevel
from serverless_fastapi_cdk.canary_deployment import RollbackThresholds, TrafficShift, TrafficShifting
from serverless_fastapi_cdk.http_api import CorsSettings, ThrottleSettings
from serverless_fastapi_cdk.monitoring import NotificationSettings
from serverless_fastapi_cdk.props import PropsError

LAMBDA_MEMORY_MB = range(128, 10241)
MAX_TIMEOUT_SECONDS = 29
"""API Gateway HTTP APIs cut integrations off at 30 s: the function must answer before that."""

ALL_AT_ONCE = TrafficShifting(shift=TrafficShift.ALL_AT_ONCE, percentage=100, interval_minutes=0)

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")

ConfigError = PropsError
"""An environment setting, or a combination of settings, that cannot be deployed. The settings' types are
the constructs' props types, which validate themselves, so their error is this one."""


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise ConfigError(f"{where}: {message}")


@dataclass(frozen=True, kw_only=True)
class JwtIssuerSettings:
    """Who issues the tokens the API accepts.

    The default (no ``issuer_url``) is the Cognito user pool of the environment's stateful stack, with its
    app client as the audience. Any other OIDC issuer can be used instead by giving its URL and audiences.
    """

    issuer_url: str | None = None
    """The OIDC issuer (``https://...``) whose tokens the authorizer verifies. Default ``None``: the user
    pool of the environment's stateful stack."""
    audience: tuple[str, ...] = ()
    """Accepted ``aud`` values; required with ``issuer_url``, empty without it (the user pool's app client
    is then the audience). Default empty."""

    def __post_init__(self) -> None:
        if self.issuer_url is None:
            _require(
                not self.audience,
                "JwtIssuerSettings.audience",
                "only set it together with issuer_url (the user pool's client is the default audience)",
            )
            return
        _require(
            self.issuer_url.startswith("https://"), "JwtIssuerSettings.issuer_url", "must be an https URL"
        )
        _require(bool(self.audience), "JwtIssuerSettings.audience", "required when issuer_url is set")


@dataclass(frozen=True, kw_only=True)
class AlarmThresholds:
    """Thresholds of every alarm: the canary's rollback alarms and the two operational ones.

    The rollback part is :class:`RollbackThresholds`, the props type of the ``CanaryDeployment`` construct,
    handed to it unchanged; its fields, defaults and validation are the construct's. Counts are per
    one-minute period.
    """

    rollback: RollbackThresholds = field(default_factory=RollbackThresholds)
    """When CodeDeploy rolls a deployment back. Default ``RollbackThresholds()``, the construct's defaults."""
    table_throttled_requests: int = 1
    """Operational (no rollback): DynamoDB ``ThrottledRequests`` of the table per minute, >= 1. Default 1."""
    concurrency_percent: int = 80
    """Operational (no rollback): Lambda ``ConcurrentExecutions`` in percent of the reserved concurrency,
    1..100. Default 80."""

    def __post_init__(self) -> None:
        _require(
            self.table_throttled_requests >= 1, "AlarmThresholds.table_throttled_requests", "must be >= 1"
        )
        _require(
            1 <= self.concurrency_percent <= 100, "AlarmThresholds.concurrency_percent", "must be 1..100"
        )


@dataclass(frozen=True, kw_only=True)
class EnvironmentConfig:
    """Everything that differs between environments. One instance per environment.

    Its parts are the constructs' props types (``ThrottleSettings``, ``CorsSettings``, ``ColdStart``,
    ``RollbackThresholds``, ``TrafficShifting``, ``NotificationSettings``), handed to them unchanged.
    """

    name: str
    """Stage id (``cdk deploy "<name>/*"``) and prefix of resource names: lower case, at most 16
    characters. Required."""
    region: str
    """AWS region of both stacks (``eu-west-1``); context ``<name>:region`` overrides it. Required."""
    account: str | None = None
    """12-digit account id; context ``<name>:account`` overrides it. Default ``None``: the account of the
    credentials used by ``cdk deploy``."""
    memory_mb: int
    """Memory of the API function, 128..10240 MB (CPU scales with it). Required."""
    timeout_seconds: int
    """Timeout of the API function, 1..29 s (the HTTP API cuts integrations off at 30 s). Required."""
    reserved_concurrency: int
    """Reserved concurrent executions of the API function, >= 1: its ceiling and its guaranteed share of
    the account's concurrency. Required."""
    cold_start: ColdStart = field(default_factory=ColdStart)
    """SnapStart or provisioned concurrency. Default ``ColdStart()``: neither."""
    throttle: ThrottleSettings
    """Rate and burst limits of the HTTP API stage. Required."""
    public_route_throttle: ThrottleSettings = field(
        default_factory=lambda: ThrottleSettings(rate_limit=5, burst_limit=10)
    )
    """Rate and burst limits of each public route (``GET /health`` and, where enabled, the docs), in place
    of the stage's, so callers without a token cannot use up the rate the API's users need; at most the
    stage's limits. Default 5 requests/s, burst 10."""
    log_retention: RetentionDays
    """Retention of the function's, the hook's and the API's access log groups. Required."""
    log_level: LogLevel = LogLevel.INFO
    """``POWERTOOLS_LOG_LEVEL`` and Lambda's application log filter (DEBUG or INFO: metrics are log lines
    without a level, which the filter reads as INFO). Default ``INFO``."""
    removal_policy: RemovalPolicy
    """What CloudFormation does with stateful resources (table, user pool, secret, logs) on removal.
    Required."""
    deletion_protection: bool
    """DynamoDB deletion protection on the table. Required."""
    termination_protection: bool
    """CloudFormation termination protection on the stateful stack. Required."""
    enable_docs: bool
    """Serve ``GET /docs`` and ``GET /openapi.json`` (public routes). Required."""
    cors: CorsSettings = field(default_factory=CorsSettings)
    """Browser access to the API (:func:`cdk_app.service.cors_for` adds the service's headers to origins).
    Default ``CorsSettings()``: CORS off."""
    jwt: JwtIssuerSettings = field(default_factory=JwtIssuerSettings)
    """Who issues accepted tokens. Default ``JwtIssuerSettings()``: the environment's user pool."""
    auth_domain_prefix: str | None = None
    """Prefix of the user pool's Cognito domain, whose token endpoint issues the post-traffic hook's
    client-credentials tokens (unique per region across accounts). Default ``None``:
    ``items-<name>-deploy-check``. Unused with an external ``jwt.issuer_url`` (no post-traffic hook)."""

    @property
    def cognito_domain_prefix(self) -> str:
        return self.auth_domain_prefix or f"items-{self.name}-deploy-check"

    alarm_thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)
    """When alarms trip and deployments roll back. Default ``AlarmThresholds()``."""
    deployment: TrafficShifting = field(default_factory=lambda: ALL_AT_ONCE)
    """How CodeDeploy shifts traffic to a new version. Default all at once."""
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    """Who the alarm topic notifies, before context adds to it. Default ``NotificationSettings()``:
    nobody."""

    def __post_init__(self) -> None:
        where = f"EnvironmentConfig({self.name!r})"
        _require(
            bool(re.fullmatch(r"[a-z][a-z0-9-]{0,15}", self.name)), f"{where}.name", "must be a short id"
        )
        _require(bool(_REGION.match(self.region)), f"{where}.region", f"{self.region!r} is not a region")
        _require(
            self.account is None or bool(_ACCOUNT.match(self.account)),
            f"{where}.account",
            f"{self.account!r} is not a 12-digit account id",
        )
        _require(self.memory_mb in LAMBDA_MEMORY_MB, f"{where}.memory_mb", "must be 128..10240")
        _require(
            1 <= self.timeout_seconds <= MAX_TIMEOUT_SECONDS,
            f"{where}.timeout_seconds",
            f"must be 1..{MAX_TIMEOUT_SECONDS} (the HTTP API integration timeout is 30 s)",
        )
        _require(self.reserved_concurrency >= 1, f"{where}.reserved_concurrency", "must be >= 1")
        _require(
            self.cold_start.provisioned_concurrency <= self.reserved_concurrency,
            f"{where}.cold_start.provisioned_concurrency",
            "cannot exceed reserved_concurrency",
        )
        _require(
            self.public_route_throttle.within(self.throttle),
            f"{where}.public_route_throttle",
            "cannot exceed the stage's throttle",
        )
        _require(
            not (self.deletion_protection and self.removal_policy is RemovalPolicy.DESTROY),
            f"{where}.removal_policy",
            "DESTROY contradicts deletion_protection=True",
        )


def with_target(config: EnvironmentConfig, *, account: str | None, region: str | None) -> EnvironmentConfig:
    """Return ``config`` deployed to another account and/or region (None keeps the current value)."""
    return dataclasses.replace(
        config,
        account=account if account is not None else config.account,
        region=region if region is not None else config.region,
    )


type ContextLookup = Callable[[str], object]
"""``app.node.try_get_context``: a context value by key, ``None`` when it is not set."""


def with_context(config: EnvironmentConfig, lookup: ContextLookup) -> EnvironmentConfig:
    """``config`` with what CDK context says about its environment, under keys ``<name>:<setting>``.

    - ``account`` / ``region`` replace the configured ones (see :func:`with_target`);
    - ``alarm_emails`` / ``alarm_https_urls`` add subscribers to the alarm topic, after those of
      ``notifications``: a comma-separated string (``-c prod:alarm_emails=a@example.com,b@example.com``)
      or, in cdk.json, a list of strings.

    A value of the wrong type or an invalid address raises :class:`ConfigError` naming the context key.
    """

    def key(setting: str) -> str:
        return f"{config.name}:{setting}"

    target = with_target(
        config,
        account=_context_text(lookup(key("account")), key("account")),
        region=_context_text(lookup(key("region")), key("region")),
    )
    emails = _context_list(lookup(key("alarm_emails")), key("alarm_emails"))
    https_urls = _context_list(lookup(key("alarm_https_urls")), key("alarm_https_urls"))
    if not emails and not https_urls:
        return target
    try:
        notifications = NotificationSettings(
            emails=tuple(dict.fromkeys((*config.notifications.emails, *emails))),
            https_urls=tuple(dict.fromkeys((*config.notifications.https_urls, *https_urls))),
        )
    except ConfigError as error:
        given = ", ".join(
            k for k, v in ((key("alarm_emails"), emails), (key("alarm_https_urls"), https_urls)) if v
        )
        raise ConfigError(f"context {given}: {error}") from None
    return dataclasses.replace(target, notifications=notifications)


def _context_text(value: object, key: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(f"context {key}: expected a string, got {value!r}")


def _context_list(value: object, key: str) -> tuple[str, ...]:
    """A comma-separated string or a list of strings, as a tuple without blanks."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[object] = list(value.split(","))
    elif isinstance(value, list):
        items = list(value)
    else:
        raise ConfigError(f"context {key}: expected a comma-separated string or a list, got {value!r}")
    if not all(isinstance(item, str) for item in items):
        raise ConfigError(f"context {key}: every entry must be a string, got {value!r}")
    return tuple(stripped for item in items if (stripped := str(item).strip()))


DEV = EnvironmentConfig(
    name="dev",
    region="eu-west-1",
    memory_mb=512,
    timeout_seconds=10,
    reserved_concurrency=5,
    throttle=ThrottleSettings(rate_limit=20, burst_limit=40),
    public_route_throttle=ThrottleSettings(rate_limit=5, burst_limit=10),
    log_retention=RetentionDays.ONE_WEEK,
    log_level=LogLevel.DEBUG,
    removal_policy=RemovalPolicy.DESTROY,
    deletion_protection=False,
    termination_protection=False,
    enable_docs=True,
    cors=cors_for("http://localhost:3000"),
    alarm_thresholds=AlarmThresholds(
        rollback=RollbackThresholds(
            new_version_server_error_rate_percent=10.0,
            new_version_client_error_rate_percent=50.0,
            new_version_min_requests=5,
            evaluation_periods=2,
        )
    ),
    deployment=ALL_AT_ONCE,
)

STAGING = EnvironmentConfig(
    name="staging",
    region="eu-west-1",
    memory_mb=1024,
    timeout_seconds=10,
    reserved_concurrency=20,
    cold_start=ColdStart(snap_start=True),
    throttle=ThrottleSettings(rate_limit=100, burst_limit=200),
    public_route_throttle=ThrottleSettings(rate_limit=10, burst_limit=20),
    log_retention=RetentionDays.ONE_MONTH,
    removal_policy=RemovalPolicy.RETAIN,
    deletion_protection=False,
    termination_protection=False,
    enable_docs=True,
    cors=cors_for("https://staging.items.example.com"),
    alarm_thresholds=AlarmThresholds(
        rollback=RollbackThresholds(
            api_5xx_rate_percent=2.0,
            api_p99_latency_ms=1500,
            new_version_server_error_rate_percent=5.0,
            new_version_client_error_rate_percent=40.0,
            new_version_min_requests=10,
            evaluation_periods=2,
        )
    ),
    deployment=TrafficShifting(shift=TrafficShift.LINEAR, percentage=10, interval_minutes=1),
)

PROD = EnvironmentConfig(
    name="prod",
    region="eu-west-1",
    memory_mb=1024,
    timeout_seconds=10,
    reserved_concurrency=100,
    cold_start=ColdStart(snap_start=True),
    throttle=ThrottleSettings(rate_limit=500, burst_limit=1000),
    public_route_throttle=ThrottleSettings(rate_limit=20, burst_limit=40),
    log_retention=RetentionDays.ONE_YEAR,
    removal_policy=RemovalPolicy.RETAIN,
    deletion_protection=True,
    termination_protection=True,
    enable_docs=False,
    cors=cors_for("https://items.example.com"),
    alarm_thresholds=AlarmThresholds(
        rollback=RollbackThresholds(
            api_5xx_rate_percent=1.0,
            api_p99_latency_ms=1000,
            new_version_server_error_rate_percent=2.0,
            new_version_client_error_rate_percent=25.0,
            new_version_min_requests=20,
            evaluation_periods=3,
            datapoints_to_alarm=2,
        )
    ),
    deployment=TrafficShifting(shift=TrafficShift.CANARY, percentage=10, interval_minutes=5),
)

ENVIRONMENTS: tuple[EnvironmentConfig, ...] = (DEV, STAGING, PROD)
"""Every environment, in deployment order."""
