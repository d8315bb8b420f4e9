"""Cold starts and cost per day on the dashboard, and the cold-start alarm, in the real app's templates."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from serverless_fastapi_cdk.cold_starts import UnitPrices
from serverless_fastapi_cdk.props import PropsError
from tests.support.cdk_synthesis import resources_of_type


def _dashboard_body(template: dict[str, Any]) -> str:
    (dashboard,) = resources_of_type(template, "AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else json.dumps(part) for part in parts)


@pytest.mark.parametrize(("environment", "field"), [("dev", "initDurationMs"), ("prod", "restoreDurationMs")])
def test_a_metric_filter_reads_each_cold_start_from_platform_reports(
    template_json: Callable[[str, str], dict[str, Any]], environment: str, field: str
) -> None:
    template = template_json(environment, "Stateless")
    (metric_filter,) = resources_of_type(template, "AWS::Logs::MetricFilter").values()
    (function,) = (
        f
        for f in resources_of_type(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("SnapStart") or f["Properties"].get("MemorySize") == 512
    )

    properties = metric_filter["Properties"]
    assert '$.type = "platform.report"' in properties["FilterPattern"]
    assert f"$.record.metrics.{field}" in properties["FilterPattern"]
    (transformation,) = properties["MetricTransformations"]
    assert transformation["MetricValue"] == f"$.record.metrics.{field}"
    assert transformation["MetricNamespace"] == f"ItemsService/items-{environment}"
    assert properties["LogGroupName"] == function["Properties"]["LoggingConfig"]["LogGroup"]
    assert function["Properties"]["LoggingConfig"]["SystemLogLevel"] == "INFO", "else no platform.report"


def test_the_cold_start_alarm_watches_the_p99_and_notifies_the_topic(
    template_json: Callable[[str, str], dict[str, Any]],
) -> None:
    template = template_json("prod", "Stateless")
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm").values()

    (alarm,) = (a for a in alarms if a["Properties"].get("MetricName") == "ColdStartDuration")
    properties = alarm["Properties"]
    assert properties["AlarmName"] == "items-prod-cold-start-duration-p99"
    assert properties["ExtendedStatistic"] == "p99"
    assert properties["Threshold"] == 2000
    assert properties["TreatMissingData"] == "notBreaching"
    (topic_id,) = resources_of_type(template, "AWS::SNS::Topic")
    assert properties["AlarmActions"] == [{"Ref": topic_id}]


def test_the_dashboard_shows_cold_starts_and_the_cost_per_day(
    template_json: Callable[[str, str], dict[str, Any]],
) -> None:
    body = _dashboard_body(template_json("staging", "Stateless"))

    assert "Cold starts (restore)" in body
    assert "pct(record.metrics.restoreDurationMs, 99)" in body
    assert "Estimated cost per day (USD)" in body
    # 1024 MB: a millisecond is 1/1000 GB-s at 0.0000133334 USD; a request 0.0000002 USD (Lambda) and
    # 0.00000111 USD (HTTP API).
    assert "invocations * 0.0000002 + duration * 0.0000000133334" in body
    assert "FILL(requests, 0) * 0.00000111" in body


def test_negative_prices_are_refused_by_name() -> None:
    with pytest.raises(PropsError, match=r"UnitPrices\.gb_second"):
        UnitPrices(gb_second=-1)
