"""The console's readable log lines, and the stage's token-bucket throttling."""

from __future__ import annotations

import io
import json

from tools.local_api.gateway import TokenBucket
from tools.local_api.logs import Console, readable
from tools.local_api.model import ThrottleSpec


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
