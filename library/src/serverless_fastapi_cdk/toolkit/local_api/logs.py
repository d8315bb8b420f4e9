"""The emulator's console: the function's log lines made readable, and the emulator's own messages.

Powertools and the Lambda runtime write one JSON object per line when the function logs in JSON. On
the console each becomes ``time LEVEL [env] message key=value...``, leaving out the fields every line
repeats (service, cold start, function name and ARN, request and trace ids); other lines are printed
as they are, except metrics in CloudWatch's embedded metric format, shown as ``METRICS name=value``.
Platform lines (``START``, ``END``, ``REPORT``) follow Lambda's text format. The X-Ray SDK's debug line
for each segment it sends (``sending: {header}\\n{segment JSON} to host:port.``) becomes ``xray sending
subsegment "name" (n bytes)``. Lines below the function's application log level are dropped, as Lambda's
log-level filter drops them (:func:`passes_log_filter`).
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from typing import Any, TextIO

_REPEATED_FIELDS = frozenset(
    {
        "level",
        "message",
        "timestamp",
        "location",
        "service",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "xray_trace_id",
        "sampling_rate",
        "requestId",
        "logger",
    }
)
_COLOURS = {
    "DEBUG": "\033[2m",
    "INFO": "\033[36m",
    "WARNING": "\033[33m",
    "ERROR": "\033[31m",
    "CRITICAL": "\033[31m",
}
_RESET = "\033[0m"
_XRAY_SENDING = re.compile(r"sending: (?P<header>\{[^\n]*\})\n(?P<entity>\{.*\}) to \S+\.", re.DOTALL)
"""What aws_xray_sdk's UDP emitter logs at DEBUG before sending a segment to the daemon."""


def _metrics(record: dict[str, Any]) -> str:
    """An embedded-metric-format record as ``name=value`` pairs (with its dimensions)."""
    directives = record["_aws"].get("CloudWatchMetrics", [])
    names = [metric["Name"] for directive in directives for metric in directive.get("Metrics", [])]
    dimensions = {
        name for directive in directives for group in directive.get("Dimensions", []) for name in group
    }
    values = " ".join(f"{name}={record.get(name)}" for name in names)
    labels = " ".join(f"{name}={record.get(name)}" for name in sorted(dimensions))
    return f"{values}  {labels}" if labels else values


def _xray_sending(message: str) -> str | None:
    """The X-Ray SDK's "sending" debug message as one line naming the segment, or None if it is not one."""
    match = _XRAY_SENDING.fullmatch(message)
    if match is None:
        return None
    try:
        entity = json.loads(match["entity"])
    except json.JSONDecodeError:
        return None
    if not isinstance(entity, dict):
        return None
    size = len(f"{match['header']}\n{match['entity']}".encode())
    kind = entity.get("type", "segment")
    return f"xray sending {kind} {json.dumps(entity.get('name'), ensure_ascii=False)} ({size} bytes)"


LAMBDA_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
"""Lambda's application log levels, most detailed first."""
_LEVEL_ALIASES = {"WARNING": "WARN", "CRITICAL": "FATAL"}
"""Python's names for two of them, as its runtime writes them."""


def lambda_log_level(line: str) -> str:
    """The level Lambda's application log filter gives ``line``.

    A JSON object's ``level`` field when it names a level (any case; Python's ``WARNING`` and
    ``CRITICAL`` are WARN and FATAL); INFO for anything else: plain text, JSON without a level (an
    embedded-metric-format record), an unknown level.
    """
    stripped = line.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            record = json.loads(stripped)
        except json.JSONDecodeError:
            return "INFO"
        level = record.get("level") if isinstance(record, dict) else None
        if isinstance(level, str):
            name = _LEVEL_ALIASES.get(level.upper(), level.upper())
            if name in LAMBDA_LOG_LEVELS:
                return name
    return "INFO"


def passes_log_filter(line: str, application_log_level: str | None) -> bool:
    """Whether Lambda sends ``line`` to the log group, given the function's application log level.

    No level (a function logging in text, where Lambda filters nothing) lets every line through.
    """
    if application_log_level is None:
        return True
    threshold = LAMBDA_LOG_LEVELS.index(application_log_level.upper())
    return LAMBDA_LOG_LEVELS.index(lambda_log_level(line)) >= threshold


def readable(line: str) -> str:
    """``line`` as shown on the console: a JSON log record condensed, anything else unchanged."""
    stripped = line.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return line.rstrip("\n")
    try:
        record = json.loads(stripped)
    except json.JSONDecodeError:
        return line.rstrip("\n")
    if isinstance(record, dict) and "_aws" in record:
        return "METRICS " + _metrics(record)
    if not isinstance(record, dict) or "message" not in record or "level" not in record:
        return line.rstrip("\n")
    extras = " ".join(
        f"{name}={json.dumps(value, default=str) if not isinstance(value, str) else value}"
        for name, value in record.items()
        if name not in _REPEATED_FIELDS
    )
    message = record["message"] if isinstance(record["message"], str) else json.dumps(record["message"])
    message = _xray_sending(message) or message
    return f"{str(record['level']).upper():<7} {message}" + (f"  {extras}" if extras else "")


class Console:
    """Writes lines to a stream, one at a time, each prefixed with the time and where it came from."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._colour = self._stream.isatty()

    def _write(self, source: str, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        with self._lock:
            for line in text.splitlines() or [""]:
                self._stream.write(f"{stamp} {source:<6} {line}\n")
            self._stream.flush()

    def function_line(self, environment: str, line: str) -> None:
        """A line the function wrote to stdout or stderr."""
        text = readable(line)
        level = text.split(" ", 1)[0]
        if self._colour and level in _COLOURS:
            text = f"{_COLOURS[level]}{text}{_RESET}"
        self._write(environment, text)

    def platform(self, environment: str, text: str) -> None:
        """A Lambda platform line (``START``, ``END``, ``REPORT``, timeouts)."""
        self._write(environment, text)

    def gateway(self, text: str) -> None:
        """An API Gateway line (access logs)."""
        self._write("api", text)

    def reload(self, text: str) -> None:
        """What a hot reload did, and how long it took."""
        self._write("reload", text)

    def info(self, text: str) -> None:
        """The emulator's own messages, without prefix."""
        with self._lock:
            self._stream.write(text + "\n")
            self._stream.flush()
