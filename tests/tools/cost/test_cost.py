"""``make cost``: the arithmetic against a bill worked out by hand, and the bill read from real templates."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from tools.cost.bill import SECONDS_PER_MONTH, Usage, line_items, total
from tools.cost.prices import PriceError, load
from tools.cost.profile import Durations, TrafficProfile, dynamodb_size, item_bytes, item_size
from tools.cost.report import comparison, detail, estimate
from tools.cost.usage import usage

PRICES = load("eu-west-1")

HAND_WORKED = Usage(
    requests=1_000_000,
    memory_mb=1024,
    architecture="arm64",
    warm_ms=20,
    cold_starts=5_000,
    cold_init_ms=800,
    snap_start=False,
    tracing=True,
    read_units=600_000,
    write_units=200_000,
    stored_gb=1,
    point_in_time_recovery=True,
    log_gb=2,
    log_retention_months=1,
    custom_metrics=14,
    alarm_metrics=12,
    dashboards=1,
    secrets=1,
    secret_calls=10_000,
    kms_keys=1,
    http_api=True,
    response_gb=0.5,
)
"""Worked by hand at eu-west-1's prices of 2025-11-01 (USD):

Lambda requests 1 M x 0.20 = 0.20; duration (1 M x 20 ms + 5,000 x 800 ms) = 24,000 s x 1 GB x 0.0000133334
= 0.3200016; HTTP API 1 M x 1.11 = 1.11; reads 0.6 M x 0.1414 = 0.08484; writes 0.2 M x 0.7068 = 0.14136;
storage 1 GB x 0.283 and PITR 1 GB x 0.2264; logs 2 GB x 0.57 = 1.14 ingested and 2 GB-month x 0.03 = 0.06
stored; 14 metrics x 0.30 = 4.20; 12 alarm metrics x 0.10 = 1.20; one dashboard 3.00; one secret 0.40 and
10,000 calls 0.05; one key 1.00; 1 M traces x 5.00 per million = 5.00; 0.5 GB out x 0.09 = 0.045.
Total 18.4606016."""


def test_the_bill_is_the_hand_worked_one() -> None:
    items = line_items(HAND_WORKED, PRICES)

    assert math.isclose(total(items), 18.4606016, abs_tol=1e-9)
    by_line = {(item.service, item.what): item.cost for item in items}
    assert math.isclose(by_line[("Lambda", "duration (arm64, 1024 MB)")], 0.3200016)
    assert math.isclose(by_line[("CloudWatch", "custom metrics")], 4.20)
    assert ("Lambda", "SnapStart cache (1 published version)") not in by_line
    assert ("CloudFront", "HTTPS requests") not in by_line


def test_snapstart_adds_its_cache_for_the_month_and_each_restore() -> None:
    items = line_items(Usage(**{**HAND_WORKED.__dict__, "snap_start": True}), PRICES)

    by_line = {item.what: item.cost for item in items}
    assert math.isclose(by_line["SnapStart cache (1 published version)"], SECONDS_PER_MONTH * 0.0000015046)
    assert math.isclose(by_line["SnapStart restores"], 5_000 * 0.0001397998)


def test_the_edge_replaces_data_transfer_with_cloudfront_and_waf() -> None:
    items = line_items(Usage(**{**HAND_WORKED.__dict__, "edge": True, "waf_rules": 5}), PRICES)

    by_line = {(item.service, item.what): item.cost for item in items}
    assert math.isclose(by_line[("CloudFront", "HTTPS requests")], 100 * 0.012)
    assert math.isclose(by_line[("WAF", "rules and rule groups")], 5.0)
    assert math.isclose(by_line[("WAF", "requests")], 0.60)
    assert ("Data transfer", "out to the internet") not in by_line


def test_dynamodb_counts_item_bytes_by_its_rules() -> None:
    assert dynamodb_size({"S": "abc"}) == 3
    assert dynamodb_size({"N": "24.90"}) == 3
    assert dynamodb_size({"L": [{"S": "ab"}, {"S": "c"}]}) == 3 + 3 + 2
    assert item_size({"pk": {"S": "USER#1"}, "version": {"N": "1"}}) == 2 + 6 + 7 + 2


def test_the_item_size_is_that_of_the_item_the_repository_writes() -> None:
    size = item_bytes()

    assert 150 < size < 1024, "one write unit per item write, one read unit per item read"


def test_request_units_follow_the_mix_and_the_item_size(
    template_json: Callable[[str, str], dict[str, Any]],
) -> None:
    templates = {
        "Stateful": template_json("prod", "Stateful"),
        "Stateless": template_json("prod", "Stateless"),
    }
    profile = TrafficProfile(requests_per_month=1_000_000, item_bytes=300)

    used = usage(templates, profile, Durations(warm_ms=10, cold_init_ms=500, source="test"))

    # 55 % single reads (1 unit), 20 % lists of 20 x 300 bytes (6,000 bytes: 2 units); 20 % item writes.
    assert math.isclose(used.read_units, 550_000 + 200_000 * 2)
    assert math.isclose(used.write_units, 200_000)
    assert used.point_in_time_recovery


def test_every_environment_is_billed_from_its_own_templates(
    template_json: Callable[[str, str], dict[str, Any]],
) -> None:
    results = {
        name: estimate(
            name,
            {kind: template_json(name, kind) for kind in ("Stateful", "Stateless")},
            region="eu-west-1",
            requests=1_000_000,
            item_size=300,
        )
        for name in ("dev", "staging", "prod")
    }

    lines = {name: {item.what for item in result.items} for name, result in results.items()}
    assert "duration (arm64, 512 MB)" in lines["dev"]
    assert "duration (arm64, 1024 MB)" in lines["prod"]
    assert "SnapStart restores" not in lines["dev"]
    assert "SnapStart restores" in lines["staging"]
    assert "SnapStart restores" in lines["prod"]
    alarms = {name: next(i for i in r.items if i.what == "alarms").quantity for name, r in results.items()}
    assert all(count >= 9 for count in alarms.values())
    table = comparison(results)
    assert table.splitlines()[0] == "| service | dev | staging | prod |"
    assert "**total**" in detail(results["prod"])


def test_a_region_without_a_price_file_is_refused_by_name() -> None:
    with pytest.raises(PriceError, match="us-west-2"):
        load("us-west-2")
