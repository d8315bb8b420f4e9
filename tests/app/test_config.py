"""Environment settings: invalid settings fail with the field's name; CDK context overrides and adds.

What each environment deploys (deployment style, retention, protections, docs routes) is asserted on the
synthesized templates (tests/canary, tests/app/test_stateful.py, test_http_api.py), not restated here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from aws_cdk import RemovalPolicy

from cdk_app.config import (
    DEV,
    ENVIRONMENTS,
    PROD,
    AlarmThresholds,
    ConfigError,
    JwtIssuerSettings,
    with_context,
    with_target,
)
from serverless_fastapi_cdk.api_function import ColdStart
from serverless_fastapi_cdk.canary_deployment import TrafficShift, TrafficShifting
from serverless_fastapi_cdk.http_api import CorsSettings, ThrottleSettings
from serverless_fastapi_cdk.monitoring import NotificationSettings


def test_environments_are_dev_staging_prod_in_deployment_order():
    assert [config.name for config in ENVIRONMENTS] == ["dev", "staging", "prod"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"memory_mb": 64}, "memory_mb"),
        ({"timeout_seconds": 30}, "timeout_seconds"),
        ({"reserved_concurrency": 0}, "reserved_concurrency"),
        ({"region": "moon-1"}, "region"),
        ({"account": "12345"}, "account"),
        ({"deletion_protection": True, "removal_policy": RemovalPolicy.DESTROY}, "removal_policy"),
        ({"cold_start": ColdStart(provisioned_concurrency=10)}, "cold_start.provisioned_concurrency"),
        ({"public_route_throttle": ThrottleSettings(rate_limit=21, burst_limit=1)}, "public_route_throttle"),
        ({"public_route_throttle": ThrottleSettings(rate_limit=1, burst_limit=41)}, "public_route_throttle"),
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
        (lambda: AlarmThresholds(concurrency_percent=0), "AlarmThresholds.concurrency_percent"),
        (lambda: AlarmThresholds(table_throttled_requests=0), "AlarmThresholds.table_throttled_requests"),
        (lambda: NotificationSettings(emails=("oncall",)), "NotificationSettings.emails"),
        (lambda: NotificationSettings(https_urls=("http://hook",)), "NotificationSettings.https_urls"),
        (lambda: TrafficShifting(shift=TrafficShift.CANARY, percentage=100), "TrafficShifting.percentage"),
        (
            lambda: TrafficShifting(shift=TrafficShift.LINEAR, percentage=10, interval_minutes=0),
            "TrafficShifting.interval_minutes",
        ),
        (
            lambda: TrafficShifting(shift=TrafficShift.ALL_AT_ONCE, percentage=100, interval_minutes=5),
            "TrafficShifting.interval_minutes",
        ),
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


def context(**values: object) -> Any:
    """A stand-in for ``app.node.try_get_context`` over ``values`` (keys with ``:`` given as ``__``)."""
    entries = {key.replace("__", ":"): value for key, value in values.items()}
    return entries.get


def test_context_retargets_an_environment_like_with_target():
    moved = with_context(PROD, context(prod__account="123456789012", prod__region="eu-central-1"))

    assert (moved.account, moved.region) == ("123456789012", "eu-central-1")
    assert with_context(PROD, context()) == PROD


def test_context_alarm_subscribers_add_to_the_configured_ones():
    configured = dataclasses.replace(PROD, notifications=NotificationSettings(emails=("lead@example.com",)))

    given = with_context(
        configured,
        context(
            prod__alarm_emails=" oncall@example.com,lead@example.com,, ops@example.com ",
            prod__alarm_https_urls="https://hooks.example.com/alarms",
        ),
    )

    assert given.notifications == NotificationSettings(
        emails=("lead@example.com", "oncall@example.com", "ops@example.com"),
        https_urls=("https://hooks.example.com/alarms",),
    )


def test_cdk_json_may_list_the_subscribers():
    given = with_context(PROD, context(prod__alarm_emails=["oncall@example.com", "ops@example.com"]))

    assert given.notifications.emails == ("oncall@example.com", "ops@example.com")


def test_context_of_another_environment_does_not_apply():
    assert (
        with_context(DEV, context(prod__alarm_emails="oncall@example.com", prod__region="us-east-1")) == DEV
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"prod__alarm_emails": "oncall@example.com,not-an-address"},
            r"context prod:alarm_emails: .*not-an-address",
        ),
        (
            {"prod__alarm_https_urls": "http://hooks.example.com"},
            r"context prod:alarm_https_urls: .*not https",
        ),
        (
            {"prod__alarm_emails": 42},
            r"context prod:alarm_emails: expected a comma-separated string or a list",
        ),
        (
            {"prod__alarm_emails": ["a@example.com", 7]},
            r"context prod:alarm_emails: every entry must be a string",
        ),
        ({"prod__account": 123456789012}, r"context prod:account: expected a string"),
        ({"prod__region": "moon-1"}, r"EnvironmentConfig\('prod'\)\.region"),
    ],
)
def test_invalid_context_names_the_key(values: dict[str, object], message: str):
    with pytest.raises(ConfigError, match=message):
        with_context(PROD, context(**values))
