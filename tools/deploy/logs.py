"""``make logs ENV=<env>``: the service function's recent logs, readable, optionally one request's only.

The function's log group comes from the deployed stateless stack (the group its ``LoggingConfig`` names,
for the function the ``live`` alias points at). Powertools' JSON records print as one line each:
time, level, request id, message, then the record's own keys; Lambda's platform records and EMF metric
records are shortened; anything else prints as it is. ``--follow`` keeps polling for new events.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from tools.deploy.operator import add_common_arguments, open_environment
from tools.deploy.preflight import PreflightError
from tools.deploy.targets import StackTarget, TargetError

EXIT_PREFLIGHT = 2
REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
DURATION = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
ENVELOPE_KEYS = frozenset(
    {
        "level", "message", "timestamp", "function_request_id", "service", "cold_start", "function_name",
        "function_memory_size", "function_arn", "sampling_rate", "xray_trace_id", "location",
    }
)  # fmt: skip
"""Keys every Powertools record carries: shown in the line's fixed part, or left out as noise."""
POLL_SECONDS = 2.0


class LogsError(RuntimeError):
    """The function or its log group cannot be found."""


def since(text: str, now: datetime) -> datetime:
    """``10m``, ``2h``, ``1d`` before ``now``."""
    match = DURATION.match(text)
    if match is None:
        raise LogsError(f"--since {text!r}: expected a number and s, m, h or d (e.g. 10m)")
    return now - timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def function_log_group(session: boto3.Session, targets: Sequence[StackTarget]) -> str:
    """The deployed name of the log group of the function behind a Lambda alias."""
    for target in targets:
        resources: dict[str, Any] = json.loads(target.template_file.read_text()).get("Resources", {})
        aliased = {
            str(name["Ref"])
            for resource in resources.values()
            if resource["Type"] == "AWS::Lambda::Alias"
            and isinstance(name := resource["Properties"]["FunctionName"], dict)
            and "Ref" in name
        }
        for logical_id in sorted(aliased):
            group = (
                resources.get(logical_id, {}).get("Properties", {}).get("LoggingConfig", {}).get("LogGroup")
            )
            if isinstance(group, dict) and "Ref" in group:
                reply = session.client("cloudformation").describe_stack_resource(
                    StackName=target.cloudformation_name, LogicalResourceId=group["Ref"]
                )
                return str(reply["StackResourceDetail"]["PhysicalResourceId"])
    raise LogsError("no function behind a Lambda alias with its own log group in this environment")


def render(message: str) -> str:
    """One readable line for a log event's message."""
    try:
        record = json.loads(message)
    except ValueError:
        return message.rstrip("\n")
    if not isinstance(record, dict):
        return message.rstrip("\n")
    if "_aws" in record:
        metrics = [
            f"{metric['Name']}={record.get(metric['Name'])}"
            for directive in record["_aws"].get("CloudWatchMetrics", [])
            for metric in directive.get("Metrics", [])
        ]
        return f"{record.get('timestamp', '')} METRIC {' '.join(metrics)}".strip()
    if "type" in record and "record" in record:
        detail = record["record"] if isinstance(record["record"], dict) else {}
        return f"{record.get('time', '')} {record['type']} {detail.get('requestId', '')}".rstrip()
    head = [
        str(record.get("timestamp") or record.get("time") or ""),
        f"{record.get('level', ''):<5}",
        f"[{record.get('function_request_id') or record.get('requestId') or '-'}]",
        str(record.get("message", "")),
    ]
    extra = [
        f"{key}={json.dumps(value) if not isinstance(value, str) else value}"
        for key, value in record.items()
        if key not in ENVELOPE_KEYS and key not in ("requestId", "time")
    ]
    return " ".join(part for part in [*head, *extra] if part)


def events(
    session: boto3.Session, group: str, start: datetime, request_id: str | None
) -> Iterator[dict[str, Any]]:
    """Every event of ``group`` from ``start`` on (all pages), only those naming ``request_id`` if given."""
    request: dict[str, Any] = {"logGroupName": group, "startTime": int(start.timestamp() * 1000)}
    if request_id is not None:
        request["filterPattern"] = f'"{request_id}"'
    client = session.client("logs")
    while True:
        reply = client.filter_log_events(**request)
        yield from reply.get("events", [])
        if not reply.get("nextToken"):
            return
        request["nextToken"] = reply["nextToken"]


def tail(
    session: boto3.Session,
    group: str,
    start: datetime,
    request_id: str | None,
    *,
    follow: bool,
    write: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    polls: int | None = None,
) -> int:
    """Print the events; with ``follow``, poll again from the last one (``polls`` bounds it in tests)."""
    seen: set[str] = set()
    printed = 0
    while True:
        newest = start
        for event in events(session, group, start, request_id):
            newest = max(newest, datetime.fromtimestamp(event["timestamp"] / 1000, UTC))
            if event["eventId"] in seen:
                continue
            seen.add(event["eventId"])
            write(render(event["message"]))
            printed += 1
        if not follow or (polls is not None and (polls := polls - 1) <= 0):
            return printed
        start = newest
        sleep(POLL_SECONDS)


def main(argv: Sequence[str] | None = None, session: boto3.Session | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy.logs", description=__doc__)
    add_common_arguments(parser)
    parser.add_argument("--request-id", help="only the records of this request (its Lambda request id)")
    parser.add_argument(
        "--since", default="10m", help="how far back to start: 30s, 10m, 2h, 1d (default 10m)"
    )
    parser.add_argument("--follow", action="store_true", help="keep printing new records until Ctrl-C")
    args = parser.parse_args(argv)
    try:
        if args.request_id is not None and not REQUEST_ID.match(args.request_id):
            raise LogsError(f"--request-id {args.request_id!r}: expected letters, digits and dashes")
        start = since(args.since, datetime.now(UTC))
        environment = open_environment(args, session)
        group = function_log_group(environment.session, environment.targets)
    except (PreflightError, TargetError, LogsError) as error:
        print(f"logs: {error}", file=sys.stderr)
        return EXIT_PREFLIGHT
    print(f"logs: {group} since {start:%Y-%m-%d %H:%M:%S} UTC", file=sys.stderr)
    try:
        count = tail(environment.session, group, start, args.request_id, follow=args.follow, write=print)
    except KeyboardInterrupt:
        return 0
    if count == 0:
        print("logs: no records in that window", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
