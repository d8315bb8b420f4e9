#!/usr/bin/env python3
"""CDK entry point: one Stage per environment (``cdk deploy "prod/*"`` deploys prod), and ``ci-<env>``.

The only place where configuration enters. CDK context (``-c key=value``):

- ``<env>:account`` / ``<env>:region`` (e.g. ``prod:account=123456789012``) deploy an environment to
  another account or region than ``cdk_app/config.py`` says;
- ``<env>:alarm_emails`` / ``<env>:alarm_https_urls`` (comma-separated, e.g.
  ``prod:alarm_emails=oncall@example.com``) subscribe them to the environment's alarm topic;
- ``github:repository`` (``owner/name``) is the repository whose workflows the ``ci-<env>`` stages' roles
  trust (``<env>:github_oidc_provider_arn`` imports an account's existing GitHub OIDC provider);
- ``layer_platform=host`` builds the dependency layer for this machine instead of Lambda (local runs).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from cdk_app.config import ENVIRONMENTS, EnvironmentConfig, with_context
from cdk_app.delivery import delivery_settings
from cdk_app.stacks.stateless import ServiceSources
from cdk_app.stage import DeliveryStage, ServiceStage
from serverless_fastapi_cdk.dependency_layer import LAYER_PLATFORM_CONTEXT_KEY, LayerPlatform

ROOT = Path(__file__).resolve().parent


def project_version() -> str:
    """The version in pyproject.toml: the function's ``APP_VERSION``."""
    with (ROOT / "pyproject.toml").open("rb") as pyproject:
        return str(tomllib.load(pyproject)["project"]["version"])


def _layer_platform(app: App) -> LayerPlatform:
    value = app.node.try_get_context(LAYER_PLATFORM_CONTEXT_KEY) or LayerPlatform.LAMBDA.value
    try:
        return LayerPlatform(value)
    except ValueError:
        allowed = ", ".join(platform.value for platform in LayerPlatform)
        raise ValueError(
            f"context {LAYER_PLATFORM_CONTEXT_KEY}={value!r}: expected one of {allowed}"
        ) from None


def sources_for(app: App) -> ServiceSources:
    """The runtime package, its pinned requirements and how to build its layer (from ``app``'s context)."""
    return ServiceSources(
        package_dir=ROOT / "runtime",
        requirements_file=ROOT / "runtime" / "requirements.txt",
        app_version=project_version(),
        layer_platform=_layer_platform(app),
        layer_cache_dir=ROOT / "build" / "layers",
    )


def build(app: App, *, environments: Sequence[EnvironmentConfig] = ENVIRONMENTS) -> list[ServiceStage]:
    """Add each of ``environments``' stage, and its ``ci-<env>`` deploy-roles stage, to ``app``, all checked
    by cdk-nag's AwsSolutions and Serverless packs; returns the service stages. Default: every environment
    of ``cdk_app/config.py``."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    sources = sources_for(app)
    settings = delivery_settings([config.name for config in environments], app.node.try_get_context)
    stages = []
    for config in environments:
        target = with_context(config, app.node.try_get_context)
        stages.append(ServiceStage(app, config=target, sources=sources))
        DeliveryStage(app, config=target, settings=settings)
    return stages


if __name__ == "__main__":
    cdk_app = App()
    build(cdk_app)
    cdk_app.synth()
