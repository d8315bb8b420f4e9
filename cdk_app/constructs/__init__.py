"""Reusable constructs: each one file, keyword-only typed props, public attributes for what it creates."""

from cdk_app.constructs.api_function import ApiFunction
from cdk_app.constructs.canary_deployment import CanaryDeployment, RollbackThresholds
from cdk_app.constructs.dependency_layer import DependencyLayer, LayerPlatform
from cdk_app.constructs.github_deploy_roles import GitHubDeployRoles
from cdk_app.constructs.http_api import ServiceHttpApi
from cdk_app.constructs.monitoring import ServiceMonitoring
from cdk_app.constructs.service_table import ServiceTable
from cdk_app.constructs.user_pool import ApiUserPool

__all__ = [
    "ApiFunction",
    "ApiUserPool",
    "CanaryDeployment",
    "DependencyLayer",
    "GitHubDeployRoles",
    "LayerPlatform",
    "RollbackThresholds",
    "ServiceHttpApi",
    "ServiceMonitoring",
    "ServiceTable",
]
