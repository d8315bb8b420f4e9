"""Per-environment settings, in code: everything that differs between dev, staging and prod.

Each environment is one frozen :class:`EnvironmentConfig`. Invalid values and invalid combinations raise
:class:`ConfigError` when the object is built, so a bad setting fails ``cdk synth`` with a message that
names the field. ``app.py`` is the only place that reads these and the only place that applies the
account/region overrides from CDK context (:func:`with_target`).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from enum import StrEnum

from aws_cdk import RemovalPolicy
from aws_cdk.aws_logs import RetentionDays

LAMBDA_MEMORY_MB = range(128, 10241)
MAX_TIMEOUT_SECONDS = 29
"""API Gateway HTTP APIs cut integrations off at 30 s: the function must answer before that."""

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ORIGIN = re.compile(r"^(\*|https://[^\s/]+|http://(localhost|127\.0\.0\.1)(:\d+)?)$")


class ConfigError(ValueError):
    """An environment setting, or a combination of settings, that cannot be deployed."""


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise ConfigError(f"{where}: {message}")


@dataclass(frozen=True, kw_only=True)
class ThrottleSettings:
    """Throttling of the HTTP API's ``$default`` stage (applies to every route)."""

    rate_limit: float
    """Steady-state requests per second."""
    burst_limit: int
    """Maximum concurrent request burst."""

    def __post_init__(self) -> None:
        _require(self.rate_limit > 0, "ThrottleSettings.rate_limit", "must be > 0")
        _require(self.burst_limit >= 1, "ThrottleSettings.burst_limit", "must be >= 1")


@dataclass(frozen=True, kw_only=True)
class CorsSettings:
    """Browser access to the HTTP API. No origins (the default) means CORS is off."""

    allow_origins: tuple[str, ...] = ()
    """Exact origins (``https://app.example.com``), ``http://localhost[:port]`` or ``*``."""
    allow_headers: tuple[str, ...] = ("authorization", "content-type", "idempotency-key", "if-match")
    """Request headers browsers may send: the token, JSON bodies, Idempotency-Key and If-Match."""
    expose_headers: tuple[str, ...] = ("etag", "location", "idempotent-replayed")
    """Response headers browser code may read (the runtime's ETag, Location and replay marker)."""
    max_age_seconds: int = 600

    def __post_init__(self) -> None:
        for origin in self.allow_origins:
            _require(
                bool(_ORIGIN.match(origin)),
                "CorsSettings.allow_origins",
                f"{origin!r} is not '*', an https origin or an http://localhost origin",
            )
        _require(
            "*" not in self.allow_origins or len(self.allow_origins) == 1,
            "CorsSettings.allow_origins",
            "'*' cannot be combined with explicit origins",
        )
        _require(0 <= self.max_age_seconds <= 86400, "CorsSettings.max_age_seconds", "must be 0..86400")


@dataclass(frozen=True, kw_only=True)
class JwtIssuerSettings:
    """Who issues the tokens the API accepts.

    The default (no ``issuer_url``) is the Cognito user pool of the environment's stateful stack, with its
    app client as the audience. Any other OIDC issuer can be used instead by giving its URL and audiences.
    """

    issuer_url: str | None = None
    audience: tuple[str, ...] = ()

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
class ColdStart:
    """How cold starts are mitigated. SnapStart and provisioned concurrency are mutually exclusive."""

    snap_start: bool = False
    """SnapStart on published versions (the ``live`` alias always points at one)."""
    provisioned_concurrency: int = 0
    """Pre-initialised execution environments on the ``live`` alias; 0 = none."""

    def __post_init__(self) -> None:
        _require(self.provisioned_concurrency >= 0, "ColdStart.provisioned_concurrency", "must be >= 0")
        _require(
            not (self.snap_start and self.provisioned_concurrency),
            "ColdStart.snap_start",
            "SnapStart cannot be combined with provisioned_concurrency; choose one",
        )


@dataclass(frozen=True, kw_only=True)
class AlarmThresholds:
    """Thresholds of the alarms that watch the service and roll a deployment back.

    Each count is per one-minute period; an alarm fires when ``datapoints_to_alarm`` of the last
    ``evaluation_periods`` periods breach.
    """

    function_errors: int = 1
    """Lambda ``Errors`` of the new version (unhandled exceptions, timeouts)."""
    api_5xx_rate_percent: float = 2.0
    """HTTP API ``5xx`` responses in percent of requests (Mangum turns application exceptions into 500s)."""
    unhandled_errors: int = 1
    """The runtime's application error metric (``runtime.contract.METRIC_UNHANDLED_ERRORS``)."""
    throttles: int = 1
    """Lambda ``Throttles`` of the new version."""
    p99_latency_ms: int = 1000
    """p99 of the HTTP API stage's ``Latency`` (what clients see, cold starts included)."""
    evaluation_periods: int = 2
    datapoints_to_alarm: int = 1
    table_throttled_requests: int = 1
    """Operational (no rollback): DynamoDB ``ThrottledRequests`` of the table."""
    concurrency_percent: int = 80
    """Operational (no rollback): Lambda ``ConcurrentExecutions`` in percent of reserved concurrency."""

    def __post_init__(self) -> None:
        for name in (
            "function_errors",
            "unhandled_errors",
            "throttles",
            "p99_latency_ms",
            "table_throttled_requests",
        ):
            _require(getattr(self, name) >= 1, f"AlarmThresholds.{name}", "must be >= 1")
        _require(
            0 < self.api_5xx_rate_percent <= 100,
            "AlarmThresholds.api_5xx_rate_percent",
            "must be in (0, 100]",
        )
        _require(
            1 <= self.concurrency_percent <= 100, "AlarmThresholds.concurrency_percent", "must be 1..100"
        )
        _require(self.evaluation_periods >= 1, "AlarmThresholds.evaluation_periods", "must be >= 1")
        _require(
            1 <= self.datapoints_to_alarm <= self.evaluation_periods,
            "AlarmThresholds.datapoints_to_alarm",
            "must be between 1 and evaluation_periods",
        )


@dataclass(frozen=True, kw_only=True)
class NotificationSettings:
    """Who the alarm topic notifies (every alarm, rollback and operational). None by default."""

    emails: tuple[str, ...] = ()
    """E-mail addresses; each must confirm the subscription SNS mails it."""
    https_urls: tuple[str, ...] = ()
    """HTTPS endpoints (chat webhooks, incident tools) that accept SNS notifications."""

    def __post_init__(self) -> None:
        for email in self.emails:
            _require(bool(_EMAIL.match(email)), "NotificationSettings.emails", f"{email!r} is not an address")
        for url in self.https_urls:
            _require(url.startswith("https://"), "NotificationSettings.https_urls", f"{url!r} is not https")


class TrafficShift(StrEnum):
    """How CodeDeploy moves the ``live`` alias from the old version to the new one."""

    ALL_AT_ONCE = "all_at_once"
    LINEAR = "linear"
    """``percentage`` more every ``interval_minutes`` until 100 %."""
    CANARY = "canary"
    """``percentage`` for ``interval_minutes``, then the rest."""


@dataclass(frozen=True, kw_only=True)
class DeploymentStyle:
    """The traffic-shifting style of a deployment of a new function version."""

    shift: TrafficShift = TrafficShift.ALL_AT_ONCE
    percentage: int = 100
    interval_minutes: int = 0

    def __post_init__(self) -> None:
        if self.shift is TrafficShift.ALL_AT_ONCE:
            _require(self.percentage == 100, "DeploymentStyle.percentage", "must be 100 for all_at_once")
            _require(
                self.interval_minutes == 0, "DeploymentStyle.interval_minutes", "must be 0 for all_at_once"
            )
            return
        _require(1 <= self.percentage <= 99, "DeploymentStyle.percentage", "must be 1..99 for linear/canary")
        _require(
            1 <= self.interval_minutes <= 2880,
            "DeploymentStyle.interval_minutes",
            "must be 1..2880 for linear/canary",
        )


@dataclass(frozen=True, kw_only=True)
class EnvironmentConfig:
    """Everything that differs between environments. One instance per environment."""

    name: str
    """Stage id (``cdk deploy "<name>/*"``) and prefix of resource names."""
    region: str
    account: str | None = None
    """None = the account of the credentials used by ``cdk deploy``."""
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int
    cold_start: ColdStart = field(default_factory=ColdStart)
    throttle: ThrottleSettings
    log_retention: RetentionDays
    log_level: str = "INFO"
    removal_policy: RemovalPolicy
    """What CloudFormation does with stateful resources (table, user pool, secret, logs) on removal."""
    deletion_protection: bool
    """DynamoDB deletion protection on the table."""
    termination_protection: bool
    """CloudFormation termination protection on the stateful stack."""
    enable_docs: bool
    """Serve ``GET /docs`` and ``GET /openapi.json`` (public routes)."""
    cors: CorsSettings = field(default_factory=CorsSettings)
    jwt: JwtIssuerSettings = field(default_factory=JwtIssuerSettings)
    alarm_thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)
    deployment: DeploymentStyle = field(default_factory=DeploymentStyle)
    notifications: NotificationSettings = field(default_factory=NotificationSettings)

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
            self.log_level in LOG_LEVELS, f"{where}.log_level", f"must be one of {', '.join(LOG_LEVELS)}"
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


DEV = EnvironmentConfig(
    name="dev",
    region="eu-west-1",
    memory_mb=512,
    timeout_seconds=10,
    reserved_concurrency=5,
    throttle=ThrottleSettings(rate_limit=20, burst_limit=40),
    log_retention=RetentionDays.ONE_WEEK,
    log_level="DEBUG",
    removal_policy=RemovalPolicy.DESTROY,
    deletion_protection=False,
    termination_protection=False,
    enable_docs=True,
    cors=CorsSettings(allow_origins=("http://localhost:3000",)),
    alarm_thresholds=AlarmThresholds(p99_latency_ms=3000, api_5xx_rate_percent=5.0),
    deployment=DeploymentStyle(shift=TrafficShift.ALL_AT_ONCE),
)

STAGING = EnvironmentConfig(
    name="staging",
    region="eu-west-1",
    memory_mb=1024,
    timeout_seconds=10,
    reserved_concurrency=20,
    cold_start=ColdStart(snap_start=True),
    throttle=ThrottleSettings(rate_limit=100, burst_limit=200),
    log_retention=RetentionDays.ONE_MONTH,
    removal_policy=RemovalPolicy.RETAIN,
    deletion_protection=False,
    termination_protection=False,
    enable_docs=True,
    cors=CorsSettings(allow_origins=("https://staging.items.example.com",)),
    alarm_thresholds=AlarmThresholds(p99_latency_ms=1500),
    deployment=DeploymentStyle(shift=TrafficShift.LINEAR, percentage=10, interval_minutes=1),
)

PROD = EnvironmentConfig(
    name="prod",
    region="eu-west-1",
    memory_mb=1024,
    timeout_seconds=10,
    reserved_concurrency=100,
    cold_start=ColdStart(snap_start=True),
    throttle=ThrottleSettings(rate_limit=500, burst_limit=1000),
    log_retention=RetentionDays.ONE_YEAR,
    removal_policy=RemovalPolicy.RETAIN,
    deletion_protection=True,
    termination_protection=True,
    enable_docs=False,
    cors=CorsSettings(allow_origins=("https://items.example.com",)),
    alarm_thresholds=AlarmThresholds(
        p99_latency_ms=1000, api_5xx_rate_percent=1.0, evaluation_periods=3, datapoints_to_alarm=2
    ),
    deployment=DeploymentStyle(shift=TrafficShift.CANARY, percentage=10, interval_minutes=5),
)

ENVIRONMENTS: tuple[EnvironmentConfig, ...] = (DEV, STAGING, PROD)
"""Every environment, in deployment order."""
