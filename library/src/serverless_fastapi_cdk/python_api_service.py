"""A Python ASGI service on Lambda behind an HTTP API with JWT auth, delivered by canary, watched by alarms.

The pattern in one construct: :class:`DependencyLayer` (the pinned requirements), :class:`ApiFunction`
(the package, its ``live`` alias), :class:`ServiceHttpApi` (JWT on every route but the public ones, which
get a throttle of their own), :class:`CanaryDeployment` (traffic shifting, rollback alarms on the new
version, deployment hooks) and :class:`ServiceMonitoring` (alarm topic, operational alarms, dashboard).
The function may call its table's ``table_operations`` (if the service has a table) and nothing else
until the caller grants more (``service.function.role``).

Its props are eight groups (:mod:`serverless_fastapi_cdk.service_props`), each checking itself when
built; the pattern then checks what spans groups (the health route is public, a table has its
operations) and reports every problem at once.

Secure by default: arm64 with X-Ray, JSON logs at INFO, a published version behind an alias, every route
behind the JWT authorizer unless named public with a reason, public routes throttled to 5 requests/s,
CORS off, a 10 % canary of 5 minutes that rolls back on the new version's errors, a pre-traffic check of
the health route, and alarms that notify an encrypted topic.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from serverless_fastapi_cdk import runtime as runtime_half
from serverless_fastapi_cdk.api_function import ApiFunction
from serverless_fastapi_cdk.canary_deployment import ApplicationMetrics, CanaryDeployment
from serverless_fastapi_cdk.dependency_layer import DependencyLayer
from serverless_fastapi_cdk.http_api import ServiceHttpApi
from serverless_fastapi_cdk.monitoring import DEFAULT_THROTTLE_OPERATIONS, ServiceMonitoring
from serverless_fastapi_cdk.props import Problems
from serverless_fastapi_cdk.service_props import (
    DEFAULT_PUBLIC_ROUTE_THROTTLE,
    ApiSettings,
    DeliverySettings,
    FunctionSettings,
    LogSettings,
    MonitoringSettings,
    ServiceCode,
    TableAccess,
)

__all__ = ["DEFAULT_PUBLIC_ROUTE_THROTTLE", "PythonApiService"]


def _with_metric_names(environment: Mapping[str, str], metrics: ApplicationMetrics) -> dict[str, str]:
    """``environment`` plus the watched metrics' names where they differ from the runtime half's defaults."""
    encoded = metrics.names().encode()
    return {**environment, **({runtime_half.ENV_NAMES: encoded} if encoded else {})}


class PythonApiService(Construct):
    """Layer, function and alias, HTTP API with JWT, canary deployment with hooks, alarms and dashboard.

    Public attributes: :attr:`layer` (``LayerVersion``), :attr:`api_function` (``ApiFunction``: ``role``,
    ``log_group``, ``version``...), :attr:`function` and :attr:`alias` (its function and ``live`` alias),
    :attr:`api` (``ServiceHttpApi``: ``http_api``, ``routes``...), :attr:`stage` (the stage clients call),
    :attr:`canary` (``CanaryDeployment``), :attr:`monitoring` (``ServiceMonitoring``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: ServiceCode,
        api: ApiSettings,
        delivery: DeliverySettings,
        monitoring: MonitoringSettings,
        table: TableAccess | None = None,
        function: FunctionSettings | None = None,
        logs: LogSettings | None = None,
        name_prefix: str | None = None,
    ) -> None:
        """Deploy the ASGI package of ``code``.

        :param code: the package, its handler and its pinned requirements (:class:`ServiceCode`). Required.
        :param api: the JWT issuer and audience, public and protected routes (:class:`ApiSettings`).
            Required.
        :param delivery: the deployment hooks' checks and the canary (:class:`DeliverySettings`). Required.
        :param monitoring: the metrics the rollback alarms watch and who hears the alarms
            (:class:`MonitoringSettings`). Required.
        :param table: the service's DynamoDB table and the operations it calls on it (:class:`TableAccess`).
            Default ``None``: no table.
        :param function: runtime, architecture, memory, timeout... (:class:`FunctionSettings`).
            Default ``FunctionSettings()``: python3.13 on arm64, 1024 MiB, 10 s.
        :param logs: retention and removal of every log group (:class:`LogSettings`).
            Default three months, retained.
        :param name_prefix: names the API, the alarms (``<prefix>-<purpose>``) and the dashboard.
            Default ``None``: CloudFormation names them.
        """
        super().__init__(scope, construct_id)
        self._props = _Props(code, api, delivery, monitoring, table, function or FunctionSettings(),
                             logs or LogSettings(), name_prefix)  # fmt: skip
        self._props.validate()
        self.layer: lambda_.ILayerVersion = self._build_layer()
        self.api_function: ApiFunction = self._build_function()
        self.function: lambda_.Function = self.api_function.function
        self.alias: lambda_.Alias = self.api_function.alias
        self._grant_table_and_acknowledge_runtime()
        self.api: ServiceHttpApi = self._build_api()
        self.stage: apigw.HttpStage = self.api.stage
        self.canary: CanaryDeployment = self._build_canary()
        self.monitoring: ServiceMonitoring = self._build_monitoring()

    def _build_layer(self) -> lambda_.ILayerVersion:
        code, function = self._props.code, self._props.function
        return DependencyLayer(
            self,
            "Dependencies",
            requirements_file=code.requirements_file,
            architecture=function.architecture,
            runtime=function.runtime,
            platform=code.layer_platform,
            aws_sdk_services=code.sdk_services,
            exclude=code.layer_exclude,
            cache_dir=code.layer_cache_dir,
        ).layer

    def _build_function(self) -> ApiFunction:
        code, function, metrics = self._props.code, self._props.function, self._props.monitoring.metrics
        return ApiFunction(
            self,
            "Api",
            package_dir=code.package_dir,
            handler=code.handler,
            service_name=metrics.service_name,
            metrics_namespace=metrics.namespace,
            aws_services=code.aws_services,
            environment_contents=code.environment_contents,
            layers=[self.layer],
            runtime=function.runtime,
            architecture=function.architecture,
            memory_size=function.memory_size,
            timeout=function.timeout,
            reserved_concurrency=function.reserved_concurrency,
            log_level=function.log_level,
            log_retention=self._props.logs.retention,
            log_removal_policy=self._props.logs.removal_policy,
            cold_start=function.cold_start,
            environment=_with_metric_names(code.environment, metrics),
            description=code.description,
        )

    def _grant_table_and_acknowledge_runtime(self) -> None:
        reason = self._props.function.runtime_reason
        if reason is not None:
            Validations.of(self.function).acknowledge(
                Acknowledgment(id="AwsSolutions-L1", reason=reason),
                Acknowledgment(id="Serverless-LambdaLatestVersion", reason=reason),
            )
        table = self._props.table
        if table is not None:
            self.api_function.role.add_to_policy(
                iam.PolicyStatement(
                    actions=[f"dynamodb:{operation}" for operation in table.operations],
                    resources=[table.table.table_arn],
                )
            )

    def _build_api(self) -> ServiceHttpApi:
        api, logs = self._props.api, self._props.logs
        return ServiceHttpApi(
            self,
            "Http",
            handler=self.alias,
            jwt_issuer=api.jwt_issuer,
            jwt_audience=api.jwt_audience,
            public_routes=api.public_routes,
            protected_routes=api.protected_routes,
            route_scopes=api.route_scopes,
            throttle=api.throttle,
            route_throttles=dict.fromkeys(api.public_routes, api.public_route_throttle),
            access_log_retention=logs.retention,
            access_log_removal_policy=logs.removal_policy,
            cors=api.cors,
            api_name=self._props.name_prefix,
        )

    def _build_canary(self) -> CanaryDeployment:
        delivery, logs = self._props.delivery, self._props.logs
        return CanaryDeployment(
            self,
            "Canary",
            alias=self.alias,
            function_timeout=self.api_function.timeout,
            http_stage=self.stage,
            metrics=self._props.monitoring.metrics,
            checks=delivery.checks,
            traffic_shifting=delivery.traffic_shifting,
            thresholds=delivery.thresholds,
            post_traffic_check=delivery.post_traffic_check,
            hook_log_retention=logs.retention,
            hook_log_removal_policy=logs.removal_policy,
            alarm_name_prefix=self._props.name_prefix,
        )

    def _build_monitoring(self) -> ServiceMonitoring:
        settings, table = self._props.monitoring, self._props.table
        return ServiceMonitoring(
            self,
            "Monitoring",
            function=self.function,
            http_stage=self.stage,
            table=table.table if table is not None else None,
            reserved_concurrency=self._props.function.reserved_concurrency,
            concurrency_alarm_ratio=settings.concurrency_alarm_ratio,
            throttled_requests_threshold=settings.table_throttled_requests,
            throttle_operations=table.operations if table is not None else DEFAULT_THROTTLE_OPERATIONS,
            notify_alarms=[*self.canary.alarms, *self.canary.stage_alarms],
            notifications=settings.notifications,
            alarm_topic=settings.alarm_topic,
            alarm_topic_key=settings.alarm_topic_key,
            alarm_name_prefix=self._props.name_prefix,
            dashboard_name=self._props.name_prefix,
        )


class _Props:
    """The pattern's props together, and the checks that span groups."""

    def __init__(
        self,
        code: ServiceCode,
        api: ApiSettings,
        delivery: DeliverySettings,
        monitoring: MonitoringSettings,
        table: TableAccess | None,
        function: FunctionSettings,
        logs: LogSettings,
        name_prefix: str | None,
    ) -> None:
        self.code, self.api, self.delivery, self.monitoring = code, api, delivery, monitoring
        self.table, self.function, self.logs, self.name_prefix = table, function, logs, name_prefix

    def validate(self) -> None:
        problems = Problems()
        health_route = f"GET {self.delivery.checks.health_path}"
        problems.require(
            health_route in self.api.public_routes,
            "PythonApiService.api.public_routes",
            f"the hooks' health check calls {health_route!r} without a token: make it a public route",
        )
        problems.require(
            self.name_prefix is None or bool(self.name_prefix.strip()),
            "PythonApiService.name_prefix",
            "must not be empty",
        )
        problems.raise_any()
