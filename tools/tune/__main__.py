"""``python -m tools.tune ENV`` (``make tune``): invoke the deployed function at each memory size.

For each size the function's unpublished configuration (``$LATEST``) gets that memory, then is invoked
directly: the first call after the change starts a new execution environment (its billed duration includes
INIT), the others are warm. Each invocation's billed duration is read from the log tail Lambda returns
(``LogType=Tail``: the ``platform.report`` record, or the text ``REPORT`` line). The ``live`` alias points
at a published version, which this never changes, so clients are not affected; the original memory size
is put back at the end, even after a failure. The request is ``GET /items`` for a probe user that owns
nothing (one DynamoDB query), sent as the pre-traffic hook sends its own: a direct invocation under the
reserved ``.invalid`` domain. Run it against dev or staging; it needs ``lambda:UpdateFunctionConfiguration``,
``lambda:GetFunctionConfiguration`` and ``lambda:InvokeFunction`` on the function.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from tools.deploy.targets import StackTarget, TargetError, stage_targets

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SIZES = (256, 512, 1024, 1769, 2048)
ARM64_GB_SECOND = 0.0000133334
REQUEST_PRICE = 0.20 / 1e6
_BILLED_TEXT = re.compile(r"Billed Duration: (\d+(?:\.\d+)?) ms")
_BILLED_JSON = re.compile(r'"billedDurationMs"\s*:\s*(\d+(?:\.\d+)?)')


class TuneError(RuntimeError):
    """The function cannot be found, or an invocation did not report its billed duration."""


@dataclass(frozen=True)
class SizeResult:
    memory_mb: int
    cold_billed_ms: float
    warm_billed_ms: tuple[float, ...]

    @property
    def warm_median_ms(self) -> float:
        return statistics.median(self.warm_billed_ms)

    def cost_per_million(self) -> float:
        return 1e6 * (REQUEST_PRICE + self.warm_median_ms / 1000 * self.memory_mb / 1024 * ARM64_GB_SECOND)


def billed_ms(log_result: str) -> float:
    """The billed duration in a base64 log tail (JSON or text log format)."""
    tail = base64.b64decode(log_result).decode(errors="replace")
    found = _BILLED_JSON.findall(tail) or _BILLED_TEXT.findall(tail)
    if not found:
        raise TuneError("the invocation's log tail holds no billed duration (is the system log level WARN?)")
    return float(found[-1])


def probe_event() -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    context = {
        "accountId": "anonymous",
        "apiId": "tune",
        "domainName": "tune.invalid",
        "domainPrefix": "tune",
        "http": {"method": "GET", "path": "/items", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                 "userAgent": "make-tune"},
        "requestId": str(uuid.uuid4()),
        "routeKey": "ANY /{proxy+}",
        "stage": "$default",
        "timeEpoch": now_ms,
        "authorizer": {"jwt": {"claims": {"sub": "make-tune-probe", "token_use": "access"}, "scopes": None}},
    }  # fmt: skip
    return {
        "version": "2.0",
        "routeKey": "ANY /{proxy+}",
        "rawPath": "/items",
        "rawQueryString": "",
        "headers": {"accept": "application/json", "host": "tune.invalid"},
        "requestContext": context,
        "pathParameters": {"proxy": "items"},
        "isBase64Encoded": False,
    }


def _set_memory(client: Any, function_name: str, memory_mb: int) -> None:
    client.update_function_configuration(FunctionName=function_name, MemorySize=memory_mb)
    client.get_waiter("function_updated").wait(FunctionName=function_name, WaiterConfig={"Delay": 1})


def _invoke(client: Any, function_name: str) -> float:
    reply = client.invoke(
        FunctionName=function_name, Payload=json.dumps(probe_event()).encode(), LogType="Tail"
    )
    if reply.get("FunctionError"):
        raise TuneError(f"the invocation failed: {reply['FunctionError']}")
    return billed_ms(reply["LogResult"])


def tune(client: Any, function_name: str, sizes: Sequence[int], invocations: int) -> list[SizeResult]:
    """Each of ``sizes``: one cold and ``invocations`` warm calls; the original memory is restored."""
    original = client.get_function_configuration(FunctionName=function_name)["MemorySize"]
    results = []
    try:
        for memory_mb in sizes:
            _set_memory(client, function_name, memory_mb)
            cold = _invoke(client, function_name)
            warm = tuple(_invoke(client, function_name) for _ in range(invocations))
            results.append(SizeResult(memory_mb, cold, warm))
    finally:
        _set_memory(client, function_name, original)
    return results


def function_name(session: Any, targets: Sequence[StackTarget]) -> str:
    """The deployed name of the function the ``live`` alias points at."""
    for target in targets:
        resources: dict[str, Any] = json.loads(target.template_file.read_text()).get("Resources", {})
        for resource in resources.values():
            name = (
                resource["Properties"].get("FunctionName")
                if resource["Type"] == "AWS::Lambda::Alias"
                else None
            )
            if isinstance(name, dict) and "Ref" in name:
                reply = session.client("cloudformation").describe_stack_resource(
                    StackName=target.cloudformation_name, LogicalResourceId=name["Ref"]
                )
                return str(reply["StackResourceDetail"]["PhysicalResourceId"])
    raise TuneError("no function behind a Lambda alias in this environment")


def table(results: Sequence[SizeResult]) -> str:
    best = min(results, key=lambda r: (r.cost_per_million(), r.memory_mb))
    rows = [
        f"| {r.memory_mb} | {r.cold_billed_ms:.0f} | {r.warm_median_ms:.0f} | {max(r.warm_billed_ms):.0f} | "
        f"{r.cost_per_million():.2f} |{' cheapest' if r is best else ''}"
        for r in results
    ]
    header = "| memory MB | cold billed ms | warm billed ms (median) | warm max | USD per million (arm64) |"
    return "\n".join([header, "| ---: | ---: | ---: | ---: | ---: |", *rows])


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.tune", description=__doc__)
    parser.add_argument("environment")
    parser.add_argument("--assembly", type=Path, default=ROOT / "cdk.out")
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="MB, comma-separated")
    parser.add_argument("--invocations", type=int, default=20, help="warm calls per size (default 20)")
    args = parser.parse_args(argv)
    session = session or boto3.Session()
    try:
        sizes = [int(size) for size in args.sizes.split(",")]
        name = function_name(session, stage_targets(args.assembly, args.environment))
        results = tune(session.client("lambda"), name, sizes, args.invocations)
    except (TargetError, TuneError, ValueError) as error:
        print(f"tune: {error}", file=sys.stderr)
        return 2
    print(f"{name}: billed durations per memory size ({args.invocations} warm calls each)\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
