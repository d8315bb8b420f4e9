"""The stateless stack: the code and its front door, replaceable on every deployment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk_app import service
from cdk_app.config import EnvironmentConfig
from serverless_fastapi_cdk.canary_deployment import PostTrafficCheck
from serverless_fastapi_cdk.dependency_layer import LayerPlatform
from serverless_fastapi_cdk.python_api_service import PythonApiService
from serverless_fastapi_cdk.service_props import (
    ApiSettings,
    DeliverySettings,
    FunctionSettings,
    LogSettings,
    MonitoringSettings,
    ServiceCode,
    TableAccess,
)
from serverless_fastapi_cdk.user_pool import ApiUserPool

PATTERN_ID = "Default"
"""Id of the pattern construct in the stack. CDK leaves a ``Default`` id out of logical IDs, so the
resources keep the logical IDs they had when the stack composed the constructs itself: named resources
(alarms, dashboard, API) and retained log groups would otherwise be replaced."""


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
    """The items service as a :class:`PythonApiService`, with read access to its cursor-signing secret.

    Public attributes: :attr:`service` (the ``PythonApiService``: ``layer``, ``api_function``, ``api``,
    ``canary``, ``monitoring``).
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
        limits = config.alarm_thresholds
        self.service = PythonApiService(
            self,
            PATTERN_ID,
            code=ServiceCode(
                package_dir=sources.package_dir,
                handler=service.HANDLER,
                requirements_file=sources.requirements_file,
                aws_services=service.AWS_SERVICES,
                environment_contents=service.ENVIRONMENT_CONTENTS,
                environment=service.environment(
                    table_name=table.table_name,
                    cursor_secret_arn=cursor_secret.secret_arn,
                    enable_docs=config.enable_docs,
                    app_version=sources.app_version,
                ),
                sdk_services=service.SDK_SERVICES,
                layer_exclude=service.layer_exclude(enable_docs=config.enable_docs),
                layer_platform=sources.layer_platform,
                layer_cache_dir=sources.layer_cache_dir,
                description=f"Items service API ({config.name})",
            ),
            api=ApiSettings(
                jwt_issuer=jwt_issuer,
                jwt_audience=jwt_audience,
                public_routes={
                    **service.PUBLIC_ROUTES,
                    **(service.DOCS_ROUTES if config.enable_docs else {}),
                },
                protected_routes=service.PROTECTED_ROUTES,
                throttle=config.throttle,
                public_route_throttle=config.public_route_throttle,
                cors=config.cors,
            ),
            delivery=DeliverySettings(
                checks=service.DEPLOYMENT_CHECKS,
                traffic_shifting=config.deployment,
                thresholds=limits.rollback,
                post_traffic_check=_post_traffic_check(config, deployment_check),
            ),
            monitoring=MonitoringSettings(
                metrics=service.METRICS,
                notifications=config.notifications,
                concurrency_alarm_ratio=limits.concurrency_percent / 100,
                table_throttled_requests=limits.table_throttled_requests,
            ),
            table=TableAccess(table=table, operations=service.TABLE_OPERATIONS),
            function=FunctionSettings(
                memory_size=config.memory_mb,
                timeout=Duration.seconds(config.timeout_seconds),
                reserved_concurrency=config.reserved_concurrency,
                cold_start=config.cold_start,
                log_level=config.log_level,
                runtime_reason=service.RUNTIME_REASON,
            ),
            logs=LogSettings(retention=config.log_retention, removal_policy=config.removal_policy),
            name_prefix=f"{service.NAME}-{config.name}",
        )
        self.service.api_function.role.add_to_policy(
            iam.PolicyStatement(actions=list(service.SECRET_ACTIONS), resources=[cursor_secret.secret_arn])
        )


def _post_traffic_check(
    config: EnvironmentConfig, deployment_check: ApiUserPool | None
) -> PostTrafficCheck | None:
    """The post-traffic hook's client: the stateful stack's machine client, where the environment has one."""
    machine = deployment_check.machine if deployment_check is not None else None
    if deployment_check is None or machine is None:
        return None
    return PostTrafficCheck(
        user_pool=deployment_check.user_pool,
        client=machine.client,
        scope=machine.scope,
        token_url=machine.token_url,
        allowed_origin=next(iter(config.cors.allow_origins), ""),
    )
