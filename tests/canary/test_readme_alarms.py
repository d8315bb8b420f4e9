"""The README's alarm table states the thresholds each environment really deploys."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from cdk_app.config import ENVIRONMENTS, EnvironmentConfig

README = Path(__file__).resolve().parents[2] / "README.md"


def expected_thresholds(config: EnvironmentConfig) -> dict[str, str]:
    limits = config.alarm_thresholds
    rollback = limits.rollback
    return {
        "new-version-errors": f"{rollback.new_version_errors}",
        "new-version-throttles": f"{rollback.new_version_throttles}",
        "api-server-error-rate": f"{rollback.api_5xx_rate_percent:g} %",
        "api-latency-p99": f"{rollback.api_p99_latency_ms}",
        "unhandled-errors": f"{rollback.unhandled_errors}",
        "new-version-server-error-rate": f"{rollback.new_version_server_error_rate_percent:g} %",
        "new-version-client-error-rate": f"{rollback.new_version_client_error_rate_percent:g} %",
        "table-throttled-requests": f"{limits.table_throttled_requests}",
        "concurrency-near-reserved-limit": str(
            math.ceil(config.reserved_concurrency * limits.concurrency_percent / 100)
        ),
    }


def readme_thresholds() -> dict[str, list[str]]:
    """Alarm name -> the ``dev / staging / prod`` cell split per environment (units dropped)."""
    rows = {}
    for line in README.read_text().splitlines():
        match = re.match(r"^\| `([a-z0-9-]+)` \((?:rollback|notify only)\) \| [^|]+ \| ([^|]+) \|", line)
        if match:
            cell = re.sub(r" ms$|\s*\(.*\)$", "", match.group(2).strip())
            rows[match.group(1)] = [part.strip() for part in cell.split(" / ")]
    return rows


def readme_request_floors() -> dict[str, str]:
    """Alarm name -> the ``(at least a / b / c requests)`` note of its threshold cell."""
    floors = {}
    for line in README.read_text().splitlines():
        match = re.match(
            r"^\| `([a-z0-9-]+)` \(rollback\) \| [^|]+ \| [^|(]+\(at least ([^)]+) requests\)", line
        )
        if match:
            floors[match.group(1)] = match.group(2)
    return floors


def test_readme_states_the_request_floor_of_each_rate_alarm():
    floors = " / ".join(
        str(config.alarm_thresholds.rollback.new_version_min_requests) for config in ENVIRONMENTS
    )
    assert readme_request_floors() == {
        "new-version-server-error-rate": floors,
        "new-version-client-error-rate": floors,
    }


def test_readme_lists_every_alarm():
    assert sorted(readme_thresholds()) == sorted(expected_thresholds(ENVIRONMENTS[0]))


@pytest.mark.parametrize("index", range(len(ENVIRONMENTS)))
def test_readme_thresholds_are_the_configured_ones(index: int):
    config = ENVIRONMENTS[index]
    documented = {name: values[index] for name, values in readme_thresholds().items()}
    assert documented == expected_thresholds(config), config.name
