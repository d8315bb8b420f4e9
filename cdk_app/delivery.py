"""Who the delivery pipeline trusts: the settings of the ``ci-<env>`` stages (see ``stage.DeliveryStage``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cdk_app.config import ConfigError
from serverless_fastapi_cdk.github_deploy_roles import DEFAULT_QUALIFIER

REPOSITORY_CONTEXT_KEY = "github:repository"
UNSET_REPOSITORY = "UNSET-OWNER/UNSET-REPOSITORY"
"""What synthesis trusts while cdk.json names no repository: deterministic, and refused by the deploy."""
STAGE_PREFIX = "ci-"
_REPOSITORY = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
_PROVIDER_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
)

type ContextLookup = Callable[[str], Any]


@dataclass(frozen=True, kw_only=True)
class DeliverySettings:
    """Who may deploy: the GitHub repository, and how the roles find their account's OIDC provider."""

    repository: str = UNSET_REPOSITORY
    """``owner/name`` of the GitHub repository trusted by the roles. Default: the unset placeholder."""
    role_name_prefix: str = "items-service"
    """Roles are ``<prefix>-<env>-github-deploy`` / ``-github-diff``. Default ``items-service``."""
    provider_arns: Mapping[str, str] = field(default_factory=dict)
    """Per environment, an existing GitHub OIDC provider to import. Default: each stack creates one."""
    bootstrap_qualifier: str = DEFAULT_QUALIFIER
    """The CDK bootstrap qualifier of the accounts. Default ``hnb659fds``."""

    def __post_init__(self) -> None:
        if not _REPOSITORY.match(self.repository):
            raise ConfigError(
                f"context {REPOSITORY_CONTEXT_KEY}={self.repository!r}: expected owner/name of a GitHub "
                "repository"
            )
        for environment, arn in self.provider_arns.items():
            if not _PROVIDER_ARN.match(arn):
                raise ConfigError(
                    f"context {environment}:github_oidc_provider_arn={arn!r}: expected "
                    "arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com"
                )

    @property
    def is_set(self) -> bool:
        return self.repository != UNSET_REPOSITORY


def delivery_settings(environments: list[str], lookup: ContextLookup) -> DeliverySettings:
    """Settings from CDK context: ``github:repository``, ``github:role_name_prefix``,
    ``<env>:github_oidc_provider_arn`` and ``github:bootstrap_qualifier``."""
    provider_arns = {
        name: str(lookup(f"{name}:github_oidc_provider_arn"))
        for name in environments
        if lookup(f"{name}:github_oidc_provider_arn")
    }
    defaults = DeliverySettings()
    return DeliverySettings(
        repository=str(lookup(REPOSITORY_CONTEXT_KEY) or defaults.repository),
        role_name_prefix=str(lookup("github:role_name_prefix") or defaults.role_name_prefix),
        provider_arns=provider_arns,
        bootstrap_qualifier=str(lookup("github:bootstrap_qualifier") or defaults.bootstrap_qualifier),
    )
