"""The console's readable log lines (alone, then the dev stage's own), and the stage's throttling."""

from __future__ import annotations

import io
import json
import re

import pytest

from serverless_fastapi_cdk.toolkit.local_api.gateway import TokenBucket
from serverless_fastapi_cdk.toolkit.local_api.logs import (
    Console,
    lambda_log_level,
    passes_log_filter,
    readable,
)
from serverless_fastapi_cdk.toolkit.local_api.model import ThrottleSpec
from tests.support.emulated_stage import RunningApi


def test_powertools_json_lines_are_condensed_to_level_message_and_extra_keys() -> None:
    line = json.dumps(
        {
            "level": "INFO",
            "location": "handler:12",
            "message": "item created",
            "timestamp": "2026-01-01 00:00:00,000+0000",
            "service": "items-api",
            "cold_start": True,
            "function_request_id": "abc",
            "xray_trace_id": "1-2-3",
            "item_id": "01ABC",
            "count": 2,
        }
    )
    assert readable(line) == "INFO    item created  item_id=01ABC count=2"


def test_embedded_metric_lines_are_shown_as_metrics() -> None:
    line = json.dumps(
        {
            "_aws": {
                "Timestamp": 1,
                "CloudWatchMetrics": [
                    {"Namespace": "Items", "Dimensions": [["service"]], "Metrics": [{"Name": "ItemsCreated"}]}
                ],
            },
            "service": "items-api",
            "ItemsCreated": [1.0],
        }
    )
    assert readable(line) == "METRICS ItemsCreated=[1.0]  service=items-api"


def _xray_debug_record(entity: dict[str, str]) -> tuple[str, str]:
    """A DEBUG record of aws_xray_sdk's UDP emitter, as the runtime's JSON log format writes it."""
    sent = '{"format":"json","version":1}\n' + json.dumps(entity)
    record = {
        "timestamp": "2026-01-01T00:00:00.000Z",
        "level": "DEBUG",
        "message": f"sending: {sent} to 127.0.0.1:49674.",
        "logger": "aws_xray_sdk.core.emitters.udp_emitter",
        "requestId": "abc",
    }
    return json.dumps(record), sent


def test_xray_segment_sends_are_condensed_to_the_segments_kind_name_and_size() -> None:
    subsegment = {"id": "1", "name": "## handler", "type": "subsegment", "note": "goes to 10.0.0.1:2000."}
    line, sent = _xray_debug_record(subsegment)
    assert readable(line) == f'DEBUG   xray sending subsegment "## handler" ({len(sent.encode())} bytes)'
    segment_line, segment_sent = _xray_debug_record({"id": "2", "name": "items-api"})
    size = len(segment_sent.encode())
    assert readable(segment_line) == f'DEBUG   xray sending segment "items-api" ({size} bytes)'


def test_other_messages_that_mention_sending_are_left_alone() -> None:
    record = {"level": "DEBUG", "message": "sending: a request to 127.0.0.1:8000.", "logger": "x"}
    assert readable(json.dumps(record)) == "DEBUG   sending: a request to 127.0.0.1:8000."


def test_the_dev_stages_debug_console_prints_no_sdk_debug_line(dev_api: RunningApi) -> None:
    """Dev logs at DEBUG, yet botocore, urllib3 and the X-Ray SDK stay at WARNING (runtime.observability)."""
    response = dev_api.client.get("/items", headers=dev_api.auth("xray-reader"))
    assert response.status_code == 200
    console = dev_api.console()
    loggers = {json.loads(line).get("logger") for line in dev_api.function_lines() if line.startswith("{")}
    assert not {
        name for name in loggers if str(name).split(".")[0] in {"botocore", "urllib3", "aws_xray_sdk"}
    }
    assert "xray sending" not in console
    assert not re.findall(r"^\S+ env-\d+ +\{.*$", console, re.MULTILINE)


def test_other_lines_are_kept_as_they_are() -> None:
    assert readable("plain print output\n") == "plain print output"
    assert readable('{"not": "a log record"}') == '{"not": "a log record"}'
    assert readable("{broken json}") == "{broken json}"


def test_console_prefixes_every_line_with_time_and_source() -> None:
    stream = io.StringIO()
    Console(stream).platform("env-3", "first\nsecond")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert all(line.split()[1] == "env-3" for line in lines)
    assert lines[1].endswith("second")


def test_the_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(ThrottleSpec(rate_limit=2, burst_limit=3), clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5
    assert [bucket.take() for _ in range(2)] == [True, False]
    now[0] = 100
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ('{"level": "DEBUG", "message": "m"}', "DEBUG"),
        ('{"level": "warning", "message": "m"}', "WARN"),
        ('{"level": "CRITICAL", "message": "m"}', "FATAL"),
        ('{"_aws": {"CloudWatchMetrics": []}, "UnhandledErrors": [1.0]}', "INFO"),
        ('{"level": "LOUD", "message": "m"}', "INFO"),
        ("plain print output", "INFO"),
    ],
)
def test_lines_get_the_level_lambdas_log_filter_gives_them(line: str, level: str) -> None:
    """A missing or unknown ``level`` is INFO (Lambda developer guide, "Log-level filtering")."""
    assert lambda_log_level(line) == level


def test_the_filter_drops_lines_below_the_application_log_level_and_only_with_one() -> None:
    metric = '{"_aws": {"CloudWatchMetrics": []}, "UnhandledErrors": [1.0]}'
    assert [passes_log_filter(metric, level) for level in ("DEBUG", "INFO", "WARN", "ERROR")] == [
        True,
        True,
        False,
        False,
    ]
    assert passes_log_filter('{"level": "ERROR", "message": "m"}', "WARN")
    assert passes_log_filter('{"level": "DEBUG", "message": "m"}', None)
