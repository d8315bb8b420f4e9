"""Reusable AWS CDK constructs for a FastAPI service on Lambda behind an API Gateway HTTP API.

Each construct is one module with keyword-only typed props and public attributes for what it creates;
:class:`PythonApiService` composes them into the whole pattern, and every props problem raises
:class:`PropsError` naming the field.

Importing this package imports no CDK: the constructs load on first use of their name, so the parts a
Lambda function imports (``serverless_fastapi_cdk.runtime``, ``serverless_fastapi_cdk.hooks``) run where
``aws_cdk`` is not installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serverless_fastapi_cdk.api_function import ApiFunction, ColdStart, LogLevel
    from serverless_fastapi_cdk.canary_deployment import (
        ApplicationMetrics,
        CanaryDeployment,
        DeploymentChecks,
        PostTrafficCheck,
        RollbackThresholds,
        TrafficShift,
        TrafficShifting,
    )
    from serverless_fastapi_cdk.dependency_layer import DependencyLayer, LayerPlatform
    from serverless_fastapi_cdk.github_deploy_roles import GitHubDeployRoles
    from serverless_fastapi_cdk.http_api import CorsSettings, ServiceHttpApi, ThrottleSettings
    from serverless_fastapi_cdk.monitoring import NotificationSettings, ServiceMonitoring
    from serverless_fastapi_cdk.props import PropsError
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
    from serverless_fastapi_cdk.service_table import ServiceTable
    from serverless_fastapi_cdk.user_pool import ApiUserPool, MachineClientSettings

__version__ = "1.0.0"

_MODULES: dict[str, str] = {
    "ApiFunction": "api_function",
    "ApiSettings": "service_props",
    "ApiUserPool": "user_pool",
    "ApplicationMetrics": "canary_deployment",
    "CanaryDeployment": "canary_deployment",
    "ColdStart": "api_function",
    "CorsSettings": "http_api",
    "DeliverySettings": "service_props",
    "DependencyLayer": "dependency_layer",
    "DeploymentChecks": "canary_deployment",
    "FunctionSettings": "service_props",
    "GitHubDeployRoles": "github_deploy_roles",
    "LayerPlatform": "dependency_layer",
    "LogLevel": "api_function",
    "LogSettings": "service_props",
    "MachineClientSettings": "user_pool",
    "MonitoringSettings": "service_props",
    "NotificationSettings": "monitoring",
    "PostTrafficCheck": "canary_deployment",
    "PropsError": "props",
    "PythonApiService": "python_api_service",
    "RollbackThresholds": "canary_deployment",
    "ServiceCode": "service_props",
    "ServiceHttpApi": "http_api",
    "ServiceMonitoring": "monitoring",
    "ServiceTable": "service_table",
    "TableAccess": "service_props",
    "ThrottleSettings": "http_api",
    "TrafficShift": "canary_deployment",
    "TrafficShifting": "canary_deployment",
}
"""Each exported name and the module (of this package) that defines it."""

__all__ = [
    "ApiFunction",
    "ApiSettings",
    "ApiUserPool",
    "ApplicationMetrics",
    "CanaryDeployment",
    "ColdStart",
    "CorsSettings",
    "DeliverySettings",
    "DependencyLayer",
    "DeploymentChecks",
    "FunctionSettings",
    "GitHubDeployRoles",
    "LayerPlatform",
    "LogLevel",
    "LogSettings",
    "MachineClientSettings",
    "MonitoringSettings",
    "NotificationSettings",
    "PostTrafficCheck",
    "PropsError",
    "PythonApiService",
    "RollbackThresholds",
    "ServiceCode",
    "ServiceHttpApi",
    "ServiceMonitoring",
    "ServiceTable",
    "TableAccess",
    "ThrottleSettings",
    "TrafficShift",
    "TrafficShifting",
]


def __getattr__(name: str) -> object:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if module != "props":
        from serverless_fastapi_cdk.prerequisites import warn_once

        warn_once()
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULES])
