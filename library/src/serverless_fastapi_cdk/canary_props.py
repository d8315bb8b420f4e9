"""The props types of :class:`~serverless_fastapi_cdk.canary_deployment.CanaryDeployment`.

What the rollback alarms watch (:class:`ApplicationMetrics`), when they roll back
(:class:`RollbackThresholds`), how traffic shifts (:class:`TrafficShifting`), and what the deployment
hooks check (:class:`DeploymentChecks`, :class:`PostTrafficCheck`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from serverless_fastapi_cdk import runtime as runtime_half
from serverless_fastapi_cdk.props import entry_point_problem, require

ALARM_PERIOD = cdk.Duration.minutes(1)
"""Rollback alarms evaluate one-minute periods: a 5-minute canary sees several of them."""


@dataclass(frozen=True, kw_only=True)
class ApplicationMetrics:
    """The application's own metrics the rollback alarms watch, as Powertools Metrics publishes them.

    Each record is in ``namespace`` (``POWERTOOLS_METRICS_NAMESPACE``) with two dimension sets:
    ``service_dimension`` = ``service_name`` (``POWERTOOLS_SERVICE_NAME``), and that plus
    ``version_dimension`` = the function version; a metric with any other dimension set gets no data.
    The names default to the library's runtime half (``serverless_fastapi_cdk.runtime``), which the
    service imports; :class:`PythonApiService` puts any other names in the function's environment, where
    ``serverless_fastapi_cdk.runtime.metric_names()`` reads them.
    """

    namespace: str
    """``POWERTOOLS_METRICS_NAMESPACE`` of the function. Required."""
    service_name: str
    """``POWERTOOLS_SERVICE_NAME`` of the function. Required."""
    unhandled_errors: str = runtime_half.UNHANDLED_ERRORS
    """Metric counting requests that ended in an unexpected 500 (Sum per minute).
    Default ``"UnhandledErrors"`` (``serverless_fastapi_cdk.runtime``)."""
    server_errors: str = runtime_half.SERVER_ERRORS
    """Metric with one datum per response: 1 for a 5xx, else 0. Default ``"ServerErrors"``."""
    client_errors: str = runtime_half.CLIENT_ERRORS
    """Metric with one datum per response: 1 for a 4xx, else 0. Default ``"ClientErrors"``."""
    version_dimension: str = runtime_half.VERSION_DIMENSION
    """Dimension holding ``AWS_LAMBDA_FUNCTION_VERSION`` in the second dimension set.
    Default ``"function_version"``."""
    service_dimension: str = runtime_half.SERVICE_DIMENSION
    """Dimension holding the service name; Powertools' own. Default ``"service"``."""

    def __post_init__(self) -> None:
        for name in ("namespace", "service_name", "unhandled_errors", "server_errors", "client_errors"):
            require(bool(getattr(self, name)), f"ApplicationMetrics.{name}", "must not be empty")
        require(
            self.version_dimension != self.service_dimension,
            "ApplicationMetrics.version_dimension",
            "must differ from service_dimension",
        )

    def names(self) -> runtime_half.MetricNames:
        """These names as the runtime half reads them (the function's environment carries any override)."""
        return runtime_half.MetricNames(
            unhandled_errors=self.unhandled_errors,
            server_errors=self.server_errors,
            client_errors=self.client_errors,
            service_dimension=self.service_dimension,
            version_dimension=self.version_dimension,
        )

    def metric(
        self,
        metric_name: str,
        *,
        statistic: str,
        function_version: str | None = None,
        period: cdk.Duration = ALARM_PERIOD,
    ) -> cloudwatch.Metric:
        """``metric_name`` by service, or by service and ``function_version`` (one version's data only)."""
        dimensions = {self.service_dimension: self.service_name}
        if function_version is not None:
            dimensions[self.version_dimension] = function_version
        return cloudwatch.Metric(
            namespace=self.namespace,
            metric_name=metric_name,
            dimensions_map=dimensions,
            statistic=statistic,
            period=period,
        )


@dataclass(frozen=True, kw_only=True)
class DeploymentChecks:
    """What the deployment hooks check on a new version before (and after) it takes traffic.

    First ``GET health_path``, which must answer 200 without a token (and, with ``version_field``, name the
    version being deployed in that JSON field); then, with ``service_check``, the caller's own check.
    """

    health_path: str
    """The function's unauthenticated health route, e.g. ``"/health"``. Required."""
    version_field: str | None = None
    """Field of the health answer's JSON object holding ``AWS_LAMBDA_FUNCTION_VERSION``; the hook fails a
    version that names another one (a stale alias or a cached answer). Default ``None``: not checked."""
    service_check: Path | None = None
    """A standard-library-only Python module with ``run(call, trip, health)`` (see
    ``serverless_fastapi_cdk/hooks/probe.py``), bundled into the hooks and run after the health check, e.g. a
    round trip through the service's own routes. Default ``None``: the health check only."""
    service_check_calls: int = 0
    """The most requests ``service_check`` sends, cleanup included: the hooks' timeouts budget for them.
    Default 0."""

    def __post_init__(self) -> None:
        require(self.health_path.startswith("/"), "DeploymentChecks.health_path", "must start with '/'")
        check = self.service_check
        require(
            check is None or (check.suffix == ".py" and check.is_file()),
            "DeploymentChecks.service_check",
            f"{check} is not a Python module (a .py file)",
        )
        problem = None if check is None else entry_point_problem(check, "run")
        require(problem is None, "DeploymentChecks.service_check", f"{problem}: the hooks call its run()")
        require(
            (self.service_check is None) == (self.service_check_calls == 0),
            "DeploymentChecks.service_check_calls",
            "must be >= 1 with a service_check and 0 without one",
        )

    @property
    def calls(self) -> int:
        """Requests of one run of the hooks: the health check and the service check's."""
        return 1 + self.service_check_calls


@dataclass(frozen=True, kw_only=True)
class PostTrafficCheck:
    """How the post-traffic hook reaches the stage (``http_stage.url``) as a client: a client-credentials
    app client's token."""

    user_pool: cognito.IUserPool
    """The pool of ``client``; the hook may describe that pool's clients. Required."""
    client: cognito.IUserPoolClient
    """Confidential client allowed only the client-credentials grant for ``scope``, and in the JWT
    authorizer's audience. Required."""
    scope: str
    """The scope the hook asks for (``<resource server>/<scope>``). Required."""
    token_url: str
    """The pool domain's ``/oauth2/token`` endpoint. Required."""
    allowed_origin: str = ""
    """A browser origin the stage's CORS allows: each call carries it, with its preflight, and each answer
    must name it. Default ``""``: no CORS check."""


@dataclass(frozen=True, kw_only=True)
class RollbackThresholds:
    """When a deployment is rolled back. Every alarm trips at ``>=`` its threshold over one-minute periods."""

    new_version_errors: int = 1
    """Lambda ``Errors`` (Sum per minute) of the version being deployed. Default 1: any invocation error."""

    new_version_throttles: int = 1
    """Lambda ``Throttles`` (Sum per minute) of the version being deployed. Default 1."""

    api_5xx_rate_percent: float = 5.0
    """HTTP API stage ``5xx`` / ``Count`` in percent (notify only, see ``stage_alarms``). Default 5.0."""

    new_version_server_error_rate_percent: float = 5.0
    """The runtime's 5xx responses of the version being deployed, in percent of its requests. Default 5.0."""

    new_version_client_error_rate_percent: float = 50.0
    """The runtime's 4xx responses of the version being deployed, in percent of its requests. Default 50.0."""

    new_version_min_requests: int = 10
    """Requests of the new version in a minute below which its error rates do not alarm. Default 10."""

    api_p99_latency_ms: int = 3_000
    """HTTP API stage ``Latency`` p99 in milliseconds. Default 3000."""

    unhandled_errors: int = 1
    """The runtime's unhandled-error metric (Sum per minute). Default 1: any unexpected 500."""

    evaluation_periods: int = 1
    """Minutes an alarm looks back. Default 1, so a canary of 5 minutes gets several chances to trip."""

    datapoints_to_alarm: int = 1
    """Breaching minutes among ``evaluation_periods`` that trip an alarm. Default 1."""

    def __post_init__(self) -> None:
        if not 1 <= self.datapoints_to_alarm <= self.evaluation_periods:
            raise ValueError(
                "RollbackThresholds.datapoints_to_alarm must be between 1 and evaluation_periods "
                f"({self.evaluation_periods}), got {self.datapoints_to_alarm}"
            )
        for name in (
            "new_version_errors",
            "new_version_throttles",
            "api_5xx_rate_percent",
            "api_p99_latency_ms",
            "unhandled_errors",
            "new_version_server_error_rate_percent",
            "new_version_client_error_rate_percent",
            "new_version_min_requests",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"RollbackThresholds.{name} must be positive, got {getattr(self, name)}")


_PREDEFINED_CANARY = {
    5: codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
    10: codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_10_MINUTES,
    15: codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_15_MINUTES,
    30: codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_30_MINUTES,
}
_PREDEFINED_LINEAR = {
    1: codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_1_MINUTE,
    2: codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_2_MINUTES,
    3: codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_3_MINUTES,
    10: codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_10_MINUTES,
}


class TrafficShift(StrEnum):
    """How CodeDeploy moves the alias from the old version to the new one."""

    ALL_AT_ONCE = "all_at_once"
    LINEAR = "linear"
    """``percentage`` more every ``interval_minutes`` until 100 %."""
    CANARY = "canary"
    """``percentage`` for ``interval_minutes``, then the rest."""


@dataclass(frozen=True, kw_only=True)
class TrafficShifting:
    """The traffic-shifting style of a deployment of a new function version."""

    shift: TrafficShift = TrafficShift.CANARY
    """All at once, linear or canary. Default ``CANARY``."""
    percentage: int = 10
    """Share of traffic per step: 100 for ``ALL_AT_ONCE``, 1..99 otherwise. Default 10."""
    interval_minutes: int = 5
    """Minutes between steps: 0 for ``ALL_AT_ONCE``, 1..2880 otherwise. Default 5."""

    def __post_init__(self) -> None:
        if self.shift is TrafficShift.ALL_AT_ONCE:
            require(self.percentage == 100, "TrafficShifting.percentage", "must be 100 for all_at_once")
            require(
                self.interval_minutes == 0, "TrafficShifting.interval_minutes", "must be 0 for all_at_once"
            )
            return
        require(1 <= self.percentage <= 99, "TrafficShifting.percentage", "must be 1..99 for linear/canary")
        require(
            1 <= self.interval_minutes <= 2880,
            "TrafficShifting.interval_minutes",
            "must be 1..2880 for linear/canary",
        )

    def deployment_config(self, scope: Construct, construct_id: str) -> codedeploy.ILambdaDeploymentConfig:
        """CodeDeploy's predefined config for this style, or a ``LambdaDeploymentConfig`` in ``scope``.

        CodeDeploy predefines 10 % canaries of 5, 10, 15 and 30 minutes and 10 % linear steps of 1, 2, 3 and
        10 minutes; any other style becomes a resource of its own.
        """
        if self.shift is TrafficShift.ALL_AT_ONCE:
            return codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE
        canary = self.shift is TrafficShift.CANARY
        predefined = _PREDEFINED_CANARY if canary else _PREDEFINED_LINEAR
        if self.percentage == 10 and self.interval_minutes in predefined:
            return predefined[self.interval_minutes]
        interval = cdk.Duration.minutes(self.interval_minutes)
        routing: codedeploy.TrafficRouting = (
            codedeploy.TimeBasedCanaryTrafficRouting(interval=interval, percentage=self.percentage)
            if canary
            else codedeploy.TimeBasedLinearTrafficRouting(interval=interval, percentage=self.percentage)
        )
        return codedeploy.LambdaDeploymentConfig(scope, construct_id, traffic_routing=routing)
