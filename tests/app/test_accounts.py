"""Prod (and its ci-prod roles) never share dev's account: synthesis refuses it without a reason."""

from __future__ import annotations

import dataclasses

import pytest
from aws_cdk import App

import app as cdk_entry
from cdk_app.accounts import SHARED_REASON_CONTEXT_KEY, check_account_separation
from cdk_app.config import DEV, ENVIRONMENTS, PROD, STAGING, ConfigError, EnvironmentConfig

DEV_ACCOUNT = "111111111111"
PROD_ACCOUNT = "333333333333"
REASON = "a sandbox organisation: both accounts are throwaway and hold no data"


def accounts(dev: str | None, prod: str | None) -> list[EnvironmentConfig]:
    return [
        dataclasses.replace(DEV, account=dev),
        dataclasses.replace(STAGING, account=dev),
        dataclasses.replace(PROD, account=prod),
    ]


@pytest.mark.parametrize(
    ("dev", "prod"),
    [(DEV_ACCOUNT, DEV_ACCOUNT), (None, None), (DEV_ACCOUNT, None)],
    ids=["same", "unnamed", "prod-unnamed"],
)
@pytest.mark.parametrize("reason", [None, "", "because", "   "], ids=["none", "empty", "too-short", "blank"])
def test_prod_in_devs_account_is_refused_without_a_reason(
    dev: str | None, prod: str | None, reason: str | None
) -> None:
    with pytest.raises(ConfigError, match=r"prod's account .*dev's pipeline could reach prod"):
        check_account_separation(accounts(dev, prod), reason)


def test_prod_in_its_own_account_needs_no_reason() -> None:
    check_account_separation(accounts(DEV_ACCOUNT, PROD_ACCOUNT), None)
    check_account_separation(accounts(None, PROD_ACCOUNT), None)


def test_a_reason_in_words_allows_a_shared_account() -> None:
    check_account_separation(accounts(DEV_ACCOUNT, DEV_ACCOUNT), REASON)


def test_synthesis_refuses_before_building_any_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the entry point with context, as ``cdk synth -c prod:account=...`` gives it."""
    monkeypatch.setattr(cdk_entry, "SHARED_ACCOUNT_REASON", None)
    app = App(context={"dev:account": DEV_ACCOUNT, "prod:account": DEV_ACCOUNT})

    with pytest.raises(ConfigError, match="prod's account is dev's"):
        cdk_entry.build(app, environments=ENVIRONMENTS)

    assert app.node.children == []


def test_a_reason_in_context_allows_it_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cdk_entry, "SHARED_ACCOUNT_REASON", None)
    targets = accounts(DEV_ACCOUNT, DEV_ACCOUNT)
    app = App(context={SHARED_REASON_CONTEXT_KEY: REASON})

    check_account_separation(targets, app.node.try_get_context(SHARED_REASON_CONTEXT_KEY))


def test_staging_may_share_devs_account() -> None:
    staging_shares = [*accounts(DEV_ACCOUNT, PROD_ACCOUNT)]
    staging_shares[1] = dataclasses.replace(STAGING, account=DEV_ACCOUNT)
    check_account_separation(staging_shares, None)
