"""Environments apart: prod does not share dev's account unless the configuration says why it may.

An account is IAM's boundary. Dev deploys on every push to main, with no reviewer, through the account's
CDK bootstrap roles, whose CloudFormation execution role may change anything in the account: had prod
the same account, dev's pipeline (or anyone who can change dev) could reach prod's table, secrets and
roles. A second bootstrap qualifier does not help there: dev's execution role would still hold the
account's administrator policy. So synthesis refuses a protected environment (prod, and its ``ci-prod``
roles, which live in the same account) whose account is dev's, or is not named at all (``None``: the
account of whoever runs ``cdk deploy``, which for dev's pipeline is dev's), unless
:data:`cdk_app.config.SHARED_ACCOUNT_REASON` (or context ``accounts:shared_reason``) gives the reason in
words.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdk_app.config import ConfigError, EnvironmentConfig

PROTECTED_ENVIRONMENTS = ("prod",)
"""Environments that must not share an account with :data:`UNGUARDED_ENVIRONMENT`."""
UNGUARDED_ENVIRONMENT = "dev"
"""The environment every push deploys, without review."""
SHARED_REASON_CONTEXT_KEY = "accounts:shared_reason"
MIN_REASON_LENGTH = 20
"""A reason is a sentence, not ``yes``."""


def check_account_separation(environments: Sequence[EnvironmentConfig], shared_reason: str | None) -> None:
    """:class:`ConfigError` when a protected environment may share dev's account without a reason."""
    by_name = {config.name: config for config in environments}
    dev = by_name.get(UNGUARDED_ENVIRONMENT)
    if dev is None:
        return
    reason = (shared_reason or "").strip()
    for name in PROTECTED_ENVIRONMENTS:
        protected = by_name.get(name)
        if protected is None:
            continue
        apart = protected.account is not None and protected.account != dev.account
        if apart:
            continue
        if len(reason) >= MIN_REASON_LENGTH:
            continue
        where = "is dev's" if protected.account is not None else "is not named (it would be the deployer's)"
        raise ConfigError(
            f"{name}'s account {where}: dev's pipeline could reach {name}. Give {name} its own account "
            f"(context {name}:account=<12 digits>, or EnvironmentConfig.account), or say in words why they "
            f"may share one: cdk_app.config.SHARED_ACCOUNT_REASON or context {SHARED_REASON_CONTEXT_KEY} "
            f"(at least {MIN_REASON_LENGTH} characters). See docs/pipeline.md."
        )
