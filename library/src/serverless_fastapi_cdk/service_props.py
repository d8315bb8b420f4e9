"""The grouped props of :class:`~serverless_fastapi_cdk.python_api_service.PythonApiService`.

Each group is a frozen dataclass that checks itself when built and raises one :class:`PropsError` with
all of its problems: what to deploy (:class:`ServiceCode`), how it runs (:class:`FunctionSettings`), who
may call it (:class:`ApiSettings`), how a version ships (:class:`DeliverySettings`), what watches it
(:class:`MonitoringSettings`), its table (:class:`TableAccess`) and its logs (:class:`LogSettings`).
Every default is the secure one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns

from serverless_fastapi_cdk.api_function import DEFAULT_TIMEOUT, ColdStart, LogLevel
from serverless_fastapi_cdk.canary_props import (
    ApplicationMetrics,
    DeploymentChecks,
    PostTrafficCheck,
    RollbackThresholds,
    TrafficShifting,
)
from serverless_fastapi_cdk.dependency_layer import LayerPlatform
from serverless_fastapi_cdk.http_api import (
    DEFAULT_PROTECTED_ROUTES,
    DEFAULT_THROTTLE,
    CorsSettings,
    ThrottleSettings,
    validate_api_props,
)
from serverless_fastapi_cdk.monitoring import NotificationSettings
from serverless_fastapi_cdk.props import (
    LAMBDA_MEMORY_MB,
    MAX_HTTP_API_TIMEOUT_SECONDS,
    Problems,
    handler_problems,
)

DEFAULT_PUBLIC_ROUTE_THROTTLE = ThrottleSettings(rate_limit=5, burst_limit=10)
SUPPORTED_RUNTIMES = ("python3.12", "python3.13", "python3.14")


@dataclass(frozen=True, kw_only=True)
class ServiceCode:
    """What to deploy: the package (the function's code asset) and its pinned dependencies (the layer)."""

    package_dir: Path
    """The Python package to deploy; it becomes the top-level package of the code asset. Required."""
    handler: str
    """Its Lambda handler, ``"<package>.<module>.<callable>"``, e.g. ``"orders.handler.handler"``;
    resolved from the package's source at synth. Required."""
    requirements_file: Path
    """Its fully pinned, hashed requirements: the dependency layer. Required."""
    aws_services: Sequence[str]
    """The AWS services the code calls, by name (``"DynamoDB"``...), for the scanners' reasons. Required."""
    environment_contents: str
    """What the environment variables hold (``"table names, no secret"``), for the scanners' reasons.
    Required."""
    environment: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Extra environment variables of the function. Default none."""
    sdk_services: Sequence[str] | None = None
    """botocore names of the services the code calls; the layer keeps only their SDK models.
    Default ``None``: every model."""
    layer_exclude: Sequence[str] = ()
    """Glob patterns (relative to the layer's ``python/``) of installed files the code never imports.
    Default none."""
    layer_platform: LayerPlatform = LayerPlatform.LAMBDA
    """Wheels for Lambda, or for this machine (a local emulator). Default ``LAMBDA``."""
    layer_cache_dir: Path | None = None
    """Keeps built layers between syntheses (out of version control). Default none."""
    description: str | None = None
    """Of the function. Default none."""

    def __post_init__(self) -> None:
        problems = Problems()
        problems.extend(handler_problems(self.package_dir, self.handler, "ServiceCode"))
        problems.require(
            self.requirements_file.is_file(),
            "ServiceCode.requirements_file",
            f"{self.requirements_file} is not a file",
        )
        problems.require(
            bool(self.environment_contents.strip()), "ServiceCode.environment_contents", "must not be empty"
        )
        problems.raise_any()


@dataclass(frozen=True, kw_only=True)
class FunctionSettings:
    """How the function runs."""

    runtime: lambda_.Runtime = lambda_.Runtime.PYTHON_3_13
    """python3.12, python3.13 or python3.14; the bytecode is compiled by that Python version, found on the
    synthesizing machine (synth says what to install otherwise). Default ``PYTHON_3_13``."""
    architecture: lambda_.Architecture = lambda_.Architecture.ARM_64
    """Of the function and its layer's wheels. Default ``ARM_64``."""
    memory_size: int = 1024
    """MiB, 128..10240 (CPU grows with it: 1769 MiB is one vCPU). Default 1024."""
    timeout: Duration = DEFAULT_TIMEOUT
    """1..29 s: the HTTP API gives up on its integration after 30 s. Default 10 seconds."""
    reserved_concurrency: int | None = None
    """Reserved concurrent executions (a cap and a guarantee). Default none: the account's pool, and no
    concurrency alarm."""
    cold_start: ColdStart | None = None
    """SnapStart or provisioned concurrency. Default neither."""
    log_level: LogLevel = LogLevel.INFO
    """``INFO`` or ``DEBUG``: a stricter level would drop the metrics. Default ``INFO``."""
    runtime_reason: str | None = None
    """Why the function is on its runtime rather than the newest (acknowledges cdk-nag's AwsSolutions-L1 and
    Serverless-LambdaLatestVersion). Default ``None``: not acknowledged."""

    def __post_init__(self) -> None:
        problems = Problems()
        problems.require(
            self.runtime.name in SUPPORTED_RUNTIMES,
            "FunctionSettings.runtime",
            f"{self.runtime.name} is not one of {', '.join(SUPPORTED_RUNTIMES)}",
        )
        problems.require(
            self.memory_size in LAMBDA_MEMORY_MB, "FunctionSettings.memory_size", "must be 128..10240 (MiB)"
        )
        seconds = self.timeout.to_seconds()
        problems.require(
            1 <= seconds <= MAX_HTTP_API_TIMEOUT_SECONDS,
            "FunctionSettings.timeout",
            f"{seconds:g} s is not 1..{MAX_HTTP_API_TIMEOUT_SECONDS} s: the HTTP API stops waiting for its "
            "integration after 30 s",
        )
        problems.require(
            self.reserved_concurrency is None or self.reserved_concurrency >= 1,
            "FunctionSettings.reserved_concurrency",
            "must be >= 1 (0 would stop every invocation)",
        )
        problems.require(
            self.log_level in set(LogLevel),
            "FunctionSettings.log_level",
            f"{self.log_level!r} is not DEBUG or INFO: Lambda's log filter would drop the metrics",
        )
        problems.require(
            self.runtime_reason is None or bool(self.runtime_reason.strip()),
            "FunctionSettings.runtime_reason",
            "must not be empty",
        )
        problems.raise_any()


@dataclass(frozen=True, kw_only=True)
class ApiSettings:
    """Who may call the service: the JWT issuer and audience, public and protected routes, limits, CORS."""

    jwt_issuer: str
    """OIDC issuer URL of the accepted tokens (https). Required."""
    jwt_audience: Sequence[str]
    """Accepted audiences. Required, non-empty."""
    public_routes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Route key -> the reason it needs no token; the deployment hooks' health route must be one.
    Default none."""
    protected_routes: Sequence[str] = DEFAULT_PROTECTED_ROUTES
    """Routes that need a token. Default every path, every method but ``OPTIONS``."""
    route_scopes: Mapping[str, Sequence[str]] = field(default_factory=lambda: MappingProxyType({}))
    """Protected route key -> OAuth scopes its token must carry (any one). Default none."""
    throttle: ThrottleSettings = DEFAULT_THROTTLE
    """Rate and burst of the stage. Default 50/s, burst 100."""
    public_route_throttle: ThrottleSettings = DEFAULT_PUBLIC_ROUTE_THROTTLE
    """Rate and burst of each public route. Default 5/s, burst 10."""
    cors: CorsSettings | None = None
    """Browser access. Default ``None``: CORS off."""

    def __post_init__(self) -> None:
        validate_api_props(
            jwt_issuer=self.jwt_issuer,
            jwt_audience=self.jwt_audience,
            public_routes=self.public_routes,
            protected_routes=self.protected_routes,
            cors=self.cors or CorsSettings(),
            throttle=self.throttle,
            route_throttles=dict.fromkeys(self.public_routes, self.public_route_throttle),
            route_scopes=self.route_scopes,
            where="ApiSettings",
        )


@dataclass(frozen=True, kw_only=True)
class DeliverySettings:
    """How a new version takes traffic: the hooks' checks, the canary, when it rolls back."""

    checks: DeploymentChecks
    """What the deployment hooks check (health route, version field, own check). Required."""
    traffic_shifting: TrafficShifting | None = None
    """Default ``TrafficShifting()``: 10 % for 5 minutes."""
    thresholds: RollbackThresholds | None = None
    """When to roll back. Default ``RollbackThresholds()``."""
    post_traffic_check: PostTrafficCheck | None = None
    """Run ``checks`` through the stage after the shift with this client. Default ``None``: no post-traffic
    hook."""


@dataclass(frozen=True, kw_only=True)
class MonitoringSettings:
    """What watches the service: the metrics the rollback alarms read, the operational alarms, who hears."""

    metrics: ApplicationMetrics
    """Powertools namespace and service name, and the metrics the rollback alarms watch (defaults: the
    runtime half's names). Required."""
    notifications: NotificationSettings | None = None
    """E-mail and HTTPS subscribers of the alarm topic. Default nobody."""
    alarm_topic: sns.ITopic | None = None
    """A topic shared by several services that every alarm notifies. Default ``None``: a topic of its own."""
    alarm_topic_key: kms.IKey | None = None
    """A shared KMS key for the service's own topic. Default ``None``: a key of its own."""
    concurrency_alarm_ratio: float = 0.8
    """Share of the reserved concurrency that alarms. Default 0.8."""
    table_throttled_requests: int = 1
    """Throttled table requests per minute that alarm. Default 1."""

    def __post_init__(self) -> None:
        problems = Problems()
        problems.require(
            0 < self.concurrency_alarm_ratio <= 1,
            "MonitoringSettings.concurrency_alarm_ratio",
            "must be in (0, 1]",
        )
        problems.require(
            self.table_throttled_requests >= 1, "MonitoringSettings.table_throttled_requests", "must be >= 1"
        )
        notifications = self.notifications or NotificationSettings()
        problems.require(
            self.alarm_topic is None
            or (self.alarm_topic_key is None and not (notifications.emails or notifications.https_urls)),
            "MonitoringSettings.alarm_topic",
            "a shared topic brings its own key and subscribers: give no alarm_topic_key or notifications",
        )
        problems.raise_any()


@dataclass(frozen=True, kw_only=True)
class TableAccess:
    """The service's DynamoDB table and the operations it calls on it (its grant and throttling alarm)."""

    table: dynamodb.ITableV2
    """The table. Required."""
    operations: Sequence[str]
    """DynamoDB operations the code calls (``GetItem``, ``Query``...), 1 to 10. Required."""

    def __post_init__(self) -> None:
        problems = Problems()
        problems.require(
            1 <= len(self.operations) <= 10,
            "TableAccess.operations",
            "name 1 to 10 operations the code calls",
        )
        problems.require(
            all(op.isalpha() and op[:1].isupper() for op in self.operations),
            "TableAccess.operations",
            "are DynamoDB API operation names such as 'GetItem' (no 'dynamodb:' prefix)",
        )
        problems.raise_any()


@dataclass(frozen=True, kw_only=True)
class LogSettings:
    """The function's, the API's and the hooks' logs."""

    retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS
    """Default three months."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """Default ``RETAIN``."""
