"""Proof that a built function emits what its rollback alarms watch: invoke the asset once and read its EMF.

An alarm on a metric the function never emits sits in INSUFFICIENT_DATA, which CodeDeploy treats as not
breaching: the canary's protection is off and nothing says so. :func:`check_function` runs the function's
synthesized code asset (with its layers, built for this machine) in a fresh interpreter that sees nothing
else, sends it one API Gateway payload-2.0 ``GET <health path>`` through its real handler, and compares the
embedded-metric-format records it printed with the names and dimension sets the alarms are built from.

One healthy request proves the per-response metrics (``server_errors``, ``client_errors``) in both
dimension sets; ``unhandled_errors`` is emitted only by a failing request, so it is not checked here.
No CDK import: a CI job or a test runs it against ``cdk.out``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from serverless_fastapi_cdk.runtime import MetricNames, metric_dimensions

FUNCTION_VERSION = "7"
"""``AWS_LAMBDA_FUNCTION_VERSION`` of the probed invocation."""

_INVOKE = """
import importlib, json, sys
paths, handler, event = json.loads(sys.argv[1])
sys.path[:0] = paths
module, _, name = handler.rpartition(".")
function = getattr(importlib.import_module(module), name)

class Context:
    function_name = "probe"
    function_version = sys.argv[2]
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:probe:live"
    memory_limit_in_mb = 1024
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/probe"
    log_stream_name = "probe"

    def get_remaining_time_in_millis(self):
        return 30000

result = function(event, Context())
print(json.dumps({"probe_status": result.get("statusCode")}))
"""


def health_event(path: str) -> dict[str, Any]:
    """An API Gateway HTTP API payload-2.0 event for an unauthenticated ``GET path`` on ``$default``."""
    return {
        "version": "2.0",
        "routeKey": f"GET {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"accept": "application/json", "host": "probe.execute-api.us-east-1.amazonaws.com"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "probe",
            "domainName": "probe.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "probe",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "serverless-fastapi-cdk-contract-check",
            },
            "requestId": "probe-request",
            "routeKey": f"GET {path}",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1767225600000,
        },
        "isBase64Encoded": False,
    }


def invoke_once(
    *,
    code_dir: Path,
    layer_dirs: Sequence[Path],
    handler: str,
    environment: Mapping[str, str],
    event: Mapping[str, Any],
    python: str = sys.executable,
    timeout: float = 120,
) -> tuple[int | None, str]:
    """Run ``handler`` of the asset once on ``event``; its status code and everything it printed.

    The interpreter runs isolated (``-I -S``: no site-packages, no user paths): it imports only the code
    asset and the layers' ``python/`` folders, as Lambda does.
    """
    paths = [str(code_dir), *(str(layer / "python") for layer in layer_dirs)]
    env = {
        "AWS_LAMBDA_FUNCTION_NAME": "probe",
        "AWS_LAMBDA_FUNCTION_VERSION": FUNCTION_VERSION,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        **environment,
    }
    completed = subprocess.run(  # noqa: S603 (the caller's own asset, run on purpose)
        [python, "-I", "-S", "-c", _INVOKE, json.dumps([paths, handler, dict(event)]), FUNCTION_VERSION],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    status = None
    for record in _json_lines(completed.stdout):
        if "probe_status" in record:
            status = record["probe_status"]
    return status, completed.stdout + completed.stderr


def emf_records(output: str) -> list[dict[str, Any]]:
    """The embedded-metric-format records among printed lines."""
    return [record for record in _json_lines(output) if isinstance(record.get("_aws"), Mapping)]


def unwatched_metrics(
    records: Sequence[Mapping[str, Any]], *, namespace: str, service: str, names: MetricNames
) -> list[str]:
    """What the alarms watch and ``records`` do not carry; empty when the function emits all of it."""
    wanted = [names.server_errors, names.client_errors]
    expected_sets = [sorted(dimensions) for dimensions in metric_dimensions(service, FUNCTION_VERSION, names)]
    problems = []
    for metric in wanted:
        found: list[list[str]] = []
        for record in records:
            for directive in record["_aws"].get("CloudWatchMetrics", []):
                declared = {entry.get("Name") for entry in directive.get("Metrics", [])}
                if directive.get("Namespace") == namespace and metric in declared and metric in record:
                    found += [sorted(dimension_set) for dimension_set in directive.get("Dimensions", [])]
                    if record.get(names.service_dimension) != service:
                        problems.append(f"{metric}: dimension {names.service_dimension} is not {service!r}")
        for dimension_set in expected_sets:
            if dimension_set not in found:
                problems.append(
                    f"{metric} in namespace {namespace!r} with dimensions {dimension_set}: not emitted"
                )
    return problems


def check_function(
    *,
    code_dir: Path,
    layer_dirs: Sequence[Path],
    handler: str,
    environment: Mapping[str, str],
    health_path: str,
    namespace: str,
    service: str,
    names: MetricNames | None = None,
    python: str = sys.executable,
) -> list[str]:
    """Invoke the asset once on ``GET health_path``: how it breaks its alarms' contract (empty: it holds)."""
    status, output = invoke_once(
        code_dir=code_dir,
        layer_dirs=layer_dirs,
        handler=handler,
        environment=environment,
        event=health_event(health_path),
        python=python,
    )
    if status != 200:
        return [f"GET {health_path} answered {status}, not 200:\n{output[-2000:]}"]
    return unwatched_metrics(
        emf_records(output), namespace=namespace, service=service, names=names or MetricNames()
    )


def _json_lines(output: str) -> list[dict[str, Any]]:
    records = []
    for line in output.splitlines():
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
    return records
