"""Environment settings: what each environment says, and invalid settings failing with the field's name."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from aws_cdk import RemovalPolicy

from cdk_app.config import (
    DEV,
    ENVIRONMENTS,
    PROD,
    STAGING,
    AlarmThresholds,
    ColdStart,
    ConfigError,
    CorsSettings,
    DeploymentStyle,
    JwtIssuerSettings,
    ThrottleSettings,
    TrafficShift,
    with_target,
)


def test_environments_are_dev_staging_prod_in_deployment_order():
    assert [config.name for config in ENVIRONMENTS] == ["dev", "staging", "prod"]


def test_deployment_style_per_environment():
    assert DEV.deployment == DeploymentStyle(shift=TrafficShift.ALL_AT_ONCE)
    assert STAGING.deployment == DeploymentStyle(shift=TrafficShift.LINEAR, percentage=10, interval_minutes=1)
    assert PROD.deployment == DeploymentStyle(shift=TrafficShift.CANARY, percentage=10, interval_minutes=5)


def test_prod_keeps_its_data_and_hides_its_docs():
    assert PROD.removal_policy is RemovalPolicy.RETAIN
    assert PROD.deletion_protection
    assert PROD.termination_protection
    assert not PROD.enable_docs


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"memory_mb": 64}, "memory_mb"),
        ({"timeout_seconds": 30}, "timeout_seconds"),
        ({"reserved_concurrency": 0}, "reserved_concurrency"),
        ({"log_level": "VERBOSE"}, "log_level"),
        ({"region": "moon-1"}, "region"),
        ({"account": "12345"}, "account"),
        ({"deletion_protection": True, "removal_policy": RemovalPolicy.DESTROY}, "removal_policy"),
        ({"cold_start": ColdStart(provisioned_concurrency=10)}, "cold_start.provisioned_concurrency"),
    ],
)
def test_invalid_environment_settings_name_the_field(changes: dict[str, Any], field: str):
    with pytest.raises(ConfigError, match=rf"EnvironmentConfig\('dev'\)\.{field}: "):
        dataclasses.replace(DEV, **changes)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: ColdStart(snap_start=True, provisioned_concurrency=2), "ColdStart.snap_start"),
        (lambda: ColdStart(provisioned_concurrency=-1), "ColdStart.provisioned_concurrency"),
        (lambda: ThrottleSettings(rate_limit=0, burst_limit=10), "ThrottleSettings.rate_limit"),
        (lambda: ThrottleSettings(rate_limit=10, burst_limit=0), "ThrottleSettings.burst_limit"),
        (lambda: CorsSettings(allow_origins=("http://evil.example",)), "CorsSettings.allow_origins"),
        (lambda: CorsSettings(allow_origins=("*", "https://a.example")), "CorsSettings.allow_origins"),
        (
            lambda: JwtIssuerSettings(issuer_url="http://issuer", audience=("a",)),
            "JwtIssuerSettings.issuer_url",
        ),
        (lambda: JwtIssuerSettings(issuer_url="https://issuer"), "JwtIssuerSettings.audience"),
        (lambda: JwtIssuerSettings(audience=("a",)), "JwtIssuerSettings.audience"),
        (
            lambda: AlarmThresholds(evaluation_periods=1, datapoints_to_alarm=2),
            "AlarmThresholds.datapoints_to_alarm",
        ),
        (lambda: DeploymentStyle(shift=TrafficShift.CANARY, percentage=100), "DeploymentStyle.percentage"),
        (
            lambda: DeploymentStyle(shift=TrafficShift.LINEAR, percentage=10),
            "DeploymentStyle.interval_minutes",
        ),
        (lambda: DeploymentStyle(interval_minutes=5), "DeploymentStyle.interval_minutes"),
    ],
)
def test_invalid_nested_settings_name_the_field(build: Any, field: str):
    with pytest.raises(ConfigError, match=rf"^{field}: "):
        build()


def test_an_invalid_environment_name_is_reported_with_the_name():
    with pytest.raises(ConfigError, match=r"EnvironmentConfig\('Prod Env'\)\.name: must be a short id"):
        dataclasses.replace(DEV, name="Prod Env")


def test_snap_start_and_provisioned_concurrency_cannot_be_combined():
    with pytest.raises(ConfigError, match="SnapStart cannot be combined with provisioned_concurrency"):
        ColdStart(snap_start=True, provisioned_concurrency=1)
    assert ColdStart(provisioned_concurrency=1).snap_start is False


def test_with_target_overrides_only_what_is_given():
    moved = with_target(PROD, account="123456789012", region=None)

    assert (moved.account, moved.region) == ("123456789012", PROD.region)
    assert dataclasses.replace(moved, account=None) == PROD
