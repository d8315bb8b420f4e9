"""What a test's code logged (Powertools JSON lines) and which metrics it emitted (EMF blobs)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger


class LogCapture:
    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    def records(self) -> list[dict[str, Any]]:
        """Every JSON log line written so far."""
        return [json.loads(line) for line in self._stream.getvalue().splitlines() if line.strip()]


@contextmanager
def captured_logs(logger: Logger) -> Iterator[LogCapture]:
    """Redirect ``logger``'s output to memory for the duration of the block."""
    handler = logger.registered_handler
    if not isinstance(handler, logging.StreamHandler):
        raise TypeError(f"expected Powertools' stream handler, got {handler!r}")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield LogCapture(stream)
    finally:
        handler.setStream(previous)


def emf_blobs(output: str) -> list[dict[str, Any]]:
    """The CloudWatch Embedded Metric Format documents among the lines of ``output``."""
    blobs = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            if "CloudWatchMetrics" in document.get("_aws", {}):
                blobs.append(document)
    return blobs
