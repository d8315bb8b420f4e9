"""The stateless stack: the code and its front door, replaceable on every deployment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk_app.config import EnvironmentConfig
from cdk_app.constructs.api_function import ApiFunction
from cdk_app.constructs.canary_deployment import CanaryDeployment, PostTrafficCheck, traffic_shifting
from cdk_app.constructs.dependency_layer import DependencyLayer, LayerPlatform
from cdk_app.constructs.http_api import DEFAULT_PROTECTED_ROUTES, ServiceHttpApi
from cdk_app.constructs.monitoring import ServiceMonitoring
from cdk_app.constructs.user_pool import ApiUserPool
from cdk_app.contract import contract

SERVICE_NAME = "items-api"
"""``POWERTOOLS_SERVICE_NAME``: the ``service`` dimension of every application metric."""
METRICS_NAMESPACE = "ItemsService"
"""``POWERTOOLS_METRICS_NAMESPACE`` of the application metrics (``runtime.contract.METRIC_*``)."""
TABLE_OPERATIONS = ("DeleteItem", "GetItem", "PutItem", "Query", "UpdateItem")
"""Every DynamoDB operation the runtime performs on the table: its repository and Powertools' idempotency
records (no scans, batches or transactions). The function's IAM actions and the throttling alarm's
``Operation`` dimensions both come from this one list."""
TABLE_ACTIONS = tuple(f"dynamodb:{operation}" for operation in TABLE_OPERATIONS)
SECRET_ACTIONS = ("secretsmanager:GetSecretValue",)

PUBLIC_ROUTES = {
    "GET /health": "liveness probe for load balancers, uptime checks and smoke tests, which hold no token",
}
"""Routes served without a token, each with the reason (the acknowledgement of cdk-nag AwsSolutions-APIG4)."""
DOCS_ROUTES = {
    f"GET {contract.DOCS_PATH}": (
        "interactive API documentation, only where EnvironmentConfig.enable_docs is set (not prod)"
    ),
    f"GET {contract.DOCS_ASSETS_PATH}/{{name}}": (
        "Swagger UI's script and stylesheet for /docs, only where EnvironmentConfig.enable_docs is set"
    ),
    f"GET {contract.OPENAPI_PATH}": (
        "the OpenAPI document behind /docs, only where EnvironmentConfig.enable_docs is set"
    ),
}
PROTECTED_ROUTES = DEFAULT_PROTECTED_ROUTES
"""Every other path needs a token: the runtime's routes and anything unknown, one route per method but
``OPTIONS``, so that API Gateway answers browsers' CORS preflights itself (docs/aws-fidelity.md)."""


@dataclass(frozen=True, kw_only=True)
class ServiceSources:
    """Where the deployed code comes from, and how its layer is built (the same for every environment)."""

    package_dir: Path
    """The runtime package folder (``runtime/``)."""
    requirements_file: Path
    """Its fully pinned requirements (``runtime/requirements.txt``), the layer's input."""
    app_version: str
    """``APP_VERSION`` of the function, e.g. the project version."""
    layer_platform: LayerPlatform = LayerPlatform.LAMBDA
    layer_cache_dir: Path | None = None
    """Keeps built layers between syntheses (see ``DependencyLayer.cache_dir``)."""


class StatelessStack(Stack):
    """Dependency layer, function with its ``live`` alias, HTTP API, canary deployment and monitoring.

    Public attributes: :attr:`layer`, :attr:`api_function` (the ``ApiFunction`` construct),
    :attr:`function`, :attr:`alias`, :attr:`api` (the ``ServiceHttpApi`` construct), :attr:`http_api`,
    :attr:`http_stage`, :attr:`table`, :attr:`config`, :attr:`service_name`, :attr:`metrics_namespace`,
    :attr:`canary` (``CanaryDeployment``), :attr:`monitoring` (``ServiceMonitoring``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        sources: ServiceSources,
        table: dynamodb.ITableV2,
        cursor_secret: secretsmanager.ISecret,
        jwt_issuer: str,
        jwt_audience: Sequence[str],
        deployment_check: ApiUserPool | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"Items service ({config.name}): layer, function, live alias, HTTP API",
            analytics_reporting=False,
        )
        self.config = config
        self.table = table
        self.service_name = SERVICE_NAME
        self.metrics_namespace = METRICS_NAMESPACE
        self.layer = DependencyLayer(
            self,
            "Dependencies",
            requirements_file=sources.requirements_file,
            platform=sources.layer_platform,
            aws_sdk_services=contract.AWS_SERVICES,
            exclude=[*contract.LAYER_EXCLUDE, *(() if config.enable_docs else contract.DOCS_LAYER_ASSETS)],
            cache_dir=sources.layer_cache_dir,
        ).layer
        self.api_function = ApiFunction(
            self,
            "Api",
            package_dir=sources.package_dir,
            handler=contract.HANDLER,
            service_name=SERVICE_NAME,
            metrics_namespace=METRICS_NAMESPACE,
            layers=[self.layer],
            memory_size=config.memory_mb,
            timeout=Duration.seconds(config.timeout_seconds),
            reserved_concurrency=config.reserved_concurrency,
            log_level=config.log_level,
            log_retention=config.log_retention,
            log_removal_policy=config.removal_policy,
            snap_start=config.cold_start.snap_start,
            provisioned_concurrency=config.cold_start.provisioned_concurrency,
            environment={
                contract.ENV_TABLE_NAME: table.table_name,
                contract.ENV_CURSOR_SECRET_NAME: cursor_secret.secret_arn,
                contract.ENV_ENABLE_DOCS: "true" if config.enable_docs else "false",
                contract.ENV_APP_VERSION: sources.app_version,
            },
            description=f"Items service API ({config.name})",
        )
        self.function = self.api_function.function
        runtime_reason = (
            "Python 3.13 is the runtime the service and its lock file target (runtime/requirements.txt is "
            "resolved and the layer's bytecode compiled for 3.13); moving to a newer runtime is a deliberate "
            "upgrade of the runtime, its lock and this stack together"
        )
        Validations.of(self.function).acknowledge(
            Acknowledgment(id="AwsSolutions-L1", reason=runtime_reason),
            Acknowledgment(id="Serverless-LambdaLatestVersion", reason=runtime_reason),
        )
        self.alias = self.api_function.alias
        self.api_function.role.add_to_policy(
            iam.PolicyStatement(actions=list(TABLE_ACTIONS), resources=[table.table_arn])
        )
        self.api_function.role.add_to_policy(
            iam.PolicyStatement(actions=list(SECRET_ACTIONS), resources=[cursor_secret.secret_arn])
        )

        public_routes = {**PUBLIC_ROUTES, **(DOCS_ROUTES if config.enable_docs else {})}
        public_throttle = apigw.ThrottleSettings(
            rate_limit=config.public_route_throttle.rate_limit,
            burst_limit=config.public_route_throttle.burst_limit,
        )
        self.api = ServiceHttpApi(
            self,
            "Http",
            handler=self.alias,
            jwt_issuer=jwt_issuer,
            jwt_audience=jwt_audience,
            public_routes=public_routes,
            protected_routes=PROTECTED_ROUTES,
            throttle_rate_limit=config.throttle.rate_limit,
            throttle_burst_limit=config.throttle.burst_limit,
            route_throttles=dict.fromkeys(public_routes, public_throttle),
            access_log_retention=config.log_retention,
            access_log_removal_policy=config.removal_policy,
            cors_allow_origins=config.cors.allow_origins,
            cors_allow_headers=config.cors.allow_headers,
            cors_expose_headers=config.cors.expose_headers,
            cors_max_age=Duration.seconds(config.cors.max_age_seconds),
            api_name=f"items-{config.name}",
        )
        self.http_api = self.api.http_api
        self.http_stage = self.api.stage
        self._add_safe_delivery(config, table, deployment_check)

    def _add_safe_delivery(
        self, config: EnvironmentConfig, table: dynamodb.ITableV2, deployment_check: ApiUserPool | None
    ) -> None:
        """CodeDeploy on the ``live`` alias with rollback alarms and hooks, then alarm topic and dashboard.

        With ``deployment_check`` (the user pool, holding the post-traffic hook's client), the hook runs the
        round trip through this stage once all traffic has shifted.
        """
        post_traffic = None
        if deployment_check is not None and deployment_check.machine is not None:
            post_traffic = PostTrafficCheck(
                stage_url=self.http_stage.url,
                user_pool=deployment_check.user_pool,
                client=deployment_check.machine.client,
                scope=deployment_check.machine.scope,
                token_url=deployment_check.machine.token_url,
                allowed_origin=next(iter(config.cors.allow_origins), ""),
            )
        limits = config.alarm_thresholds
        style = config.deployment
        name_prefix = f"items-{config.name}"
        self.canary = CanaryDeployment(
            self,
            "Canary",
            alias=self.alias,
            function_timeout=self.api_function.timeout,
            http_stage=self.http_stage,
            metrics_namespace=METRICS_NAMESPACE,
            service_name=SERVICE_NAME,
            deployment_config=traffic_shifting(
                self,
                "TrafficShifting",
                shift=style.shift.value,
                percentage=style.percentage,
                interval_minutes=style.interval_minutes,
            ),
            thresholds=limits.rollback,
            post_traffic_check=post_traffic,
            hook_log_retention=config.log_retention,
            hook_log_removal_policy=config.removal_policy,
            alarm_name_prefix=name_prefix,
        )
        self.monitoring = ServiceMonitoring(
            self,
            "Monitoring",
            function=self.function,
            http_stage=self.http_stage,
            table=table,
            reserved_concurrency=config.reserved_concurrency,
            concurrency_alarm_ratio=limits.concurrency_percent / 100,
            throttled_requests_threshold=limits.table_throttled_requests,
            throttle_operations=TABLE_OPERATIONS,
            notify_alarms=[*self.canary.alarms, *self.canary.stage_alarms],
            notification_emails=config.notifications.emails,
            notification_https_urls=config.notifications.https_urls,
            alarm_name_prefix=name_prefix,
            dashboard_name=name_prefix,
        )
