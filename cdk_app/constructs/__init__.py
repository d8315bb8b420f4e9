"""Reusable constructs: each one file, keyword-only typed props, public attributes for what it creates.

:class:`PythonApiService` composes the others into the whole pattern; each props type validates itself and
raises :class:`PropsError` naming the field.
"""

from cdk_app.constructs.api_function import ApiFunction, ColdStart, LogLevel
from cdk_app.constructs.canary_deployment import (
    ApplicationMetrics,
    CanaryDeployment,
    DeploymentChecks,
    PostTrafficCheck,
    RollbackThresholds,
    TrafficShift,
    TrafficShifting,
)
from cdk_app.constructs.cold_starts import ColdStartWatch, UnitPrices
from cdk_app.constructs.custom_domain import ApiDomain, CustomDomain, HostedZoneRef
from cdk_app.constructs.dependency_layer import DependencyLayer, LayerPlatform
from cdk_app.constructs.edge_protection import EdgeProtection, EdgeSettings
from cdk_app.constructs.github_deploy_roles import GitHubDeployRoles
from cdk_app.constructs.http_api import CorsSettings, ServiceHttpApi, ThrottleSettings
from cdk_app.constructs.monitoring import NotificationSettings, ServiceMonitoring
from cdk_app.constructs.props import PropsError
from cdk_app.constructs.python_api_service import PythonApiService
from cdk_app.constructs.service_table import ServiceTable
from cdk_app.constructs.user_pool import ApiUserPool

__all__ = [
    "ApiDomain",
    "ApiFunction",
    "ApiUserPool",
    "ApplicationMetrics",
    "CanaryDeployment",
    "ColdStart",
    "ColdStartWatch",
    "CorsSettings",
    "CustomDomain",
    "DependencyLayer",
    "DeploymentChecks",
    "EdgeProtection",
    "EdgeSettings",
    "GitHubDeployRoles",
    "HostedZoneRef",
    "LayerPlatform",
    "LogLevel",
    "NotificationSettings",
    "PostTrafficCheck",
    "PropsError",
    "PythonApiService",
    "RollbackThresholds",
    "ServiceHttpApi",
    "ServiceMonitoring",
    "ServiceTable",
    "ThrottleSettings",
    "TrafficShift",
    "TrafficShifting",
    "UnitPrices",
]
