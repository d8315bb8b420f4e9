"""A Python ASGI service on Lambda behind an HTTP API with JWT auth, delivered by canary, watched by alarms.

The pattern in one construct: :class:`DependencyLayer` (the pinned requirements), :class:`ApiFunction`
(the package, its ``live`` alias), :class:`ServiceHttpApi` (JWT on every route but the public ones, which
get a throttle of their own), :class:`CanaryDeployment` (traffic shifting, rollback alarms on the new
version, deployment hooks) and :class:`ServiceMonitoring` (alarm topic, operational alarms, dashboard).
The function may call its table's ``table_operations`` (if the service has a table) and nothing else
until the caller grants more (``service.function.role``).

Secure by default: arm64 with X-Ray, JSON logs at INFO, a published version behind an alias, every route
behind the JWT authorizer unless named public with a reason, public routes throttled to 5 requests/s,
CORS off, a 10 % canary of 5 minutes that rolls back on the new version's errors, a pre-traffic check of
the health route, and alarms that notify an encrypted topic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from serverless_fastapi_cdk import runtime as runtime_half
from serverless_fastapi_cdk.api_function import DEFAULT_TIMEOUT, ApiFunction, ColdStart, LogLevel
from serverless_fastapi_cdk.canary_deployment import (
    ApplicationMetrics,
    CanaryDeployment,
    DeploymentChecks,
    PostTrafficCheck,
    RollbackThresholds,
    TrafficShifting,
)
from serverless_fastapi_cdk.dependency_layer import DependencyLayer, LayerPlatform
from serverless_fastapi_cdk.http_api import (
    DEFAULT_PROTECTED_ROUTES,
    DEFAULT_THROTTLE,
    CorsSettings,
    ServiceHttpApi,
    ThrottleSettings,
)
from serverless_fastapi_cdk.monitoring import (
    DEFAULT_THROTTLE_OPERATIONS,
    NotificationSettings,
    ServiceMonitoring,
)
from serverless_fastapi_cdk.props import require

DEFAULT_PUBLIC_ROUTE_THROTTLE = ThrottleSettings(rate_limit=5, burst_limit=10)


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
        package_dir: Path,
        handler: str,
        requirements_file: Path,
        metrics: ApplicationMetrics,
        checks: DeploymentChecks,
        aws_services: Sequence[str],
        environment_contents: str,
        jwt_issuer: str,
        jwt_audience: Sequence[str],
        table: dynamodb.ITableV2 | None = None,
        table_operations: Sequence[str] = (),
        public_routes: Mapping[str, str] = MappingProxyType({}),
        protected_routes: Sequence[str] = DEFAULT_PROTECTED_ROUTES,
        environment: Mapping[str, str] = MappingProxyType({}),
        sdk_services: Sequence[str] | None = None,
        layer_exclude: Sequence[str] = (),
        runtime_reason: str | None = None,
        memory_size: int = 1024,
        timeout: Duration = DEFAULT_TIMEOUT,
        reserved_concurrency: int | None = None,
        cold_start: ColdStart | None = None,
        log_level: LogLevel = LogLevel.INFO,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        throttle: ThrottleSettings = DEFAULT_THROTTLE,
        public_route_throttle: ThrottleSettings = DEFAULT_PUBLIC_ROUTE_THROTTLE,
        cors: CorsSettings | None = None,
        traffic_shifting: TrafficShifting | None = None,
        thresholds: RollbackThresholds | None = None,
        post_traffic_check: PostTrafficCheck | None = None,
        concurrency_alarm_ratio: float = 0.8,
        table_throttled_requests: int = 1,
        notifications: NotificationSettings | None = None,
        name_prefix: str | None = None,
        description: str | None = None,
        layer_platform: LayerPlatform = LayerPlatform.LAMBDA,
        layer_cache_dir: Path | None = None,
    ) -> None:
        """Deploy the ASGI package at ``package_dir``.

        :param package_dir: the Python package to deploy (``ApiFunction.package_dir``). Required.
        :param handler: its Lambda handler, e.g. ``"orders.handler.handler"``. Required.
        :param requirements_file: its fully pinned, hashed requirements: the layer. Required.
        :param metrics: its Powertools metrics namespace and service name, and the metrics the rollback
            alarms watch. Required.
        :param checks: what the deployment hooks check (health route, version field, own check). Required.
        :param aws_services: the AWS services the code calls, by name, for the scanners' reasons. Required.
        :param environment_contents: what the environment variables hold, for the scanners' reasons.
            Required.
        :param jwt_issuer: OIDC issuer URL of the accepted tokens. Required.
        :param jwt_audience: accepted audiences. Required, non-empty.
        :param table: the service's DynamoDB table, watched for throttling. Default ``None``: no table.
        :param table_operations: the DynamoDB operations the service calls on ``table`` (``GetItem``, ...):
            the function's grant and the throttling alarm's dimensions; required with ``table``.
            Default none.
        :param public_routes: route key -> reason it needs no token. Default none.
        :param protected_routes: routes that need a token. Default every path, every method but ``OPTIONS``.
        :param environment: extra environment variables of the function. Default none.
        :param sdk_services: botocore names of the services the code calls; the layer keeps only their SDK
            models. Default ``None``: keeps every model.
        :param layer_exclude: glob patterns (relative to the layer's ``python/``) of installed files the
            code never imports, left out of the layer (``DependencyLayer.exclude``). Default none.
        :param runtime_reason: why the function is on its runtime rather than the newest (acknowledges
            cdk-nag's AwsSolutions-L1 and Serverless-LambdaLatestVersion). Default ``None``: not acknowledged.
        :param memory_size: MiB. Default 1024.
        :param timeout: Default 10 seconds.
        :param reserved_concurrency: Default none (the account's unreserved pool, and no concurrency alarm).
        :param cold_start: SnapStart or provisioned concurrency. Default neither.
        :param log_level: Default ``INFO``.
        :param log_retention: of the function's, the API's and the hooks' logs. Default three months.
        :param removal_policy: of those logs. Default ``RETAIN``.
        :param throttle: rate and burst of the stage. Default 50/s, burst 100.
        :param public_route_throttle: rate and burst of each public route. Default 5/s, burst 10.
        :param cors: browser access. Default ``None``: CORS off.
        :param traffic_shifting: Default ``TrafficShifting()``: 10 % for 5 minutes.
        :param thresholds: when to roll back. Default ``RollbackThresholds()``.
        :param post_traffic_check: run ``checks`` through the stage after the shift with this client.
            Default ``None``: no post-traffic hook.
        :param concurrency_alarm_ratio: share of the reserved concurrency that alarms. Default 0.8.
        :param table_throttled_requests: throttled table requests per minute that alarm. Default 1.
        :param notifications: who the alarms notify. Default nobody.
        :param name_prefix: names the API, the alarms (``<prefix>-<purpose>``) and the dashboard.
            Default ``None``: CloudFormation names them.
        :param description: of the function. Default none.
        :param layer_platform: Default ``LAMBDA``.
        :param layer_cache_dir: keeps built layers between syntheses. Default none.
        """
        super().__init__(scope, construct_id)
        require(
            (table is None) == (not table_operations),
            "PythonApiService.table_operations",
            "name the operations the service calls on its table, and none without a table",
        )
        self.layer: lambda_.ILayerVersion = DependencyLayer(
            self,
            "Dependencies",
            requirements_file=requirements_file,
            platform=layer_platform,
            aws_sdk_services=sdk_services,
            exclude=layer_exclude,
            cache_dir=layer_cache_dir,
        ).layer
        self.api_function = ApiFunction(
            self,
            "Api",
            package_dir=package_dir,
            handler=handler,
            service_name=metrics.service_name,
            metrics_namespace=metrics.namespace,
            aws_services=aws_services,
            environment_contents=environment_contents,
            layers=[self.layer],
            memory_size=memory_size,
            timeout=timeout,
            reserved_concurrency=reserved_concurrency,
            log_level=log_level,
            log_retention=log_retention,
            log_removal_policy=removal_policy,
            cold_start=cold_start,
            environment=_with_metric_names(environment, metrics),
            description=description,
        )
        function = self.api_function.function
        self.function: lambda_.Function = function
        self.alias: lambda_.Alias = self.api_function.alias
        if runtime_reason is not None:
            Validations.of(function).acknowledge(
                Acknowledgment(id="AwsSolutions-L1", reason=runtime_reason),
                Acknowledgment(id="Serverless-LambdaLatestVersion", reason=runtime_reason),
            )
        if table is not None:
            self.api_function.role.add_to_policy(
                iam.PolicyStatement(
                    actions=[f"dynamodb:{operation}" for operation in table_operations],
                    resources=[table.table_arn],
                )
            )
        self.api = ServiceHttpApi(
            self,
            "Http",
            handler=self.api_function.alias,
            jwt_issuer=jwt_issuer,
            jwt_audience=jwt_audience,
            public_routes=public_routes,
            protected_routes=protected_routes,
            throttle=throttle,
            route_throttles=dict.fromkeys(public_routes, public_route_throttle),
            access_log_retention=log_retention,
            access_log_removal_policy=removal_policy,
            cors=cors,
            api_name=name_prefix,
        )
        self.stage: apigw.HttpStage = self.api.stage
        self.canary = CanaryDeployment(
            self,
            "Canary",
            alias=self.api_function.alias,
            function_timeout=self.api_function.timeout,
            http_stage=self.api.stage,
            metrics=metrics,
            checks=checks,
            traffic_shifting=traffic_shifting,
            thresholds=thresholds,
            post_traffic_check=post_traffic_check,
            hook_log_retention=log_retention,
            hook_log_removal_policy=removal_policy,
            alarm_name_prefix=name_prefix,
        )
        self.monitoring = ServiceMonitoring(
            self,
            "Monitoring",
            function=function,
            http_stage=self.api.stage,
            table=table,
            reserved_concurrency=reserved_concurrency,
            concurrency_alarm_ratio=concurrency_alarm_ratio,
            throttled_requests_threshold=table_throttled_requests,
            throttle_operations=table_operations or DEFAULT_THROTTLE_OPERATIONS,
            notify_alarms=[*self.canary.alarms, *self.canary.stage_alarms],
            notifications=notifications,
            alarm_name_prefix=name_prefix,
            dashboard_name=name_prefix,
        )
