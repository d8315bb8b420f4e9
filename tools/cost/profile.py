"""What one request does, on average: the traffic mix, its DynamoDB work, its logs and its duration.

Everything here is an assumption stated once, except two figures measured from the service itself: the
size of the item it writes (:func:`item_bytes`, from the repository's own ``put_item`` call) and, where the
bench has measured them, the warm and cold durations at each memory size (``benchmarks/results``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RIGHT_SIZING_RESULTS = ROOT / "benchmarks" / "results" / "right_sizing.json"

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One kind of request: its share of the traffic and the DynamoDB calls it makes."""

    route: str
    share: float
    strong_reads_of_items: int = 0
    """Items read by one consistent GetItem/Query (rounded up together to 4 KB)."""
    item_writes: int = 0
    """Items written (PutItem, UpdateItem, DeleteItem: each rounded up to 1 KB)."""
    reads_cursor_secret: bool = False


DEFAULT_MIX: tuple[Operation, ...] = (
    Operation(route="GET /items/{id}", share=0.55, strong_reads_of_items=1),
    Operation(route="GET /items", share=0.20, strong_reads_of_items=20, reads_cursor_secret=True),
    Operation(route="POST /items", share=0.12, item_writes=1),
    Operation(route="PUT /items/{id}", share=0.06, item_writes=1),
    Operation(route="DELETE /items/{id}", share=0.02, item_writes=1),
    Operation(route="GET /health", share=0.05),
)
"""An assumed read-heavy mix; a list reads a full default page (20 items, one Query, consistent)."""


@dataclass(frozen=True, kw_only=True)
class Durations:
    """Milliseconds billed per request at one memory size."""

    warm_ms: float
    cold_init_ms: float
    """INIT (or, with SnapStart, the billed restore) of a new execution environment: billed since 2025."""
    source: str


DEFAULT_DURATIONS = Durations(warm_ms=25.0, cold_init_ms=900.0, source="stated default (no bench figure)")
"""Used when the bench has not measured the configured memory size: a DynamoDB round trip plus the app
(about 8 ms on the bench machine's full core) stretched by a fractional vCPU, and a Python INIT of this
size at about half a vCPU."""


@dataclass(frozen=True, kw_only=True)
class TrafficProfile:
    requests_per_month: int
    mix: tuple[Operation, ...] = DEFAULT_MIX
    cold_start_share: float = 0.005
    """Requests that start a new execution environment (0.5 %: idle environments are reclaimed after
    minutes, traffic bursts add more)."""
    function_log_bytes: int = 900
    """Per request: the request's structured log line and the EMF metric record(s)."""
    platform_log_bytes: int = 650
    """Per request: Lambda's ``platform.start`` and ``platform.report`` JSON records."""
    access_log_bytes: int = 520
    """Per request: the HTTP API's JSON access log line (``ACCESS_LOG_FIELDS``)."""
    response_bytes: int = 600
    """Average response body and headers sent to the client."""
    stored_items: int = 100_000
    item_bytes: int = field(default=0)
    """Size of one stored item as DynamoDB counts it; 0 measures it (:func:`item_bytes`)."""

    def __post_init__(self) -> None:
        if self.requests_per_month < 0:
            raise ValueError("requests_per_month must be >= 0")
        if not math.isclose(sum(operation.share for operation in self.mix), 1.0):
            raise ValueError("the shares of the mix must add up to 1")


def dynamodb_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value as DynamoDB counts them for capacity (its item-size rules)."""
    ((kind, content),) = value.items()
    if kind == "S":
        return len(str(content).encode())
    if kind == "N":
        digits = Decimal(str(content)).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + dynamodb_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + dynamodb_size(v) for k, v in content.items())
    raise ValueError(f"unsupported attribute type {kind}")


def item_size(attributes: Mapping[str, Mapping[str, Any]]) -> int:
    return sum(len(name.encode()) + dynamodb_size(value) for name, value in attributes.items())


class _RecordingClient:
    """Stands in for the DynamoDB client only to see the item the repository writes (no AWS call)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def put_item(self, **request: Any) -> dict[str, Any]:
        self.items.append(request["Item"])
        return {}


def item_bytes() -> int:
    """Size of an item as the service writes it: a typical name, description, price and three tags."""
    from runtime.repository import ItemRepository
    from runtime.schemas.items import ItemWrite

    client = _RecordingClient()
    fields = ItemWrite(
        name="Stainless steel water bottle, 750 ml",
        description="Double-walled, keeps drinks cold for 24 hours. Dishwasher safe lid.",
        price=Decimal("24.90"),
        tags=["kitchen", "outdoor", "gift"],
    )
    ItemRepository(client, "cost-estimate").create("0f4b6c1e-7a1d-4a8e-9a2c-3d5e6f708192", fields)  # type: ignore[arg-type]
    (written,) = client.items
    return item_size(written)


def bench_durations(memory_mb: int, path: Path = RIGHT_SIZING_RESULTS) -> Durations | None:
    """The bench's right-sizing figures at ``memory_mb``, if it measured that size."""
    if not path.exists():
        return None
    results: dict[str, Any] = json.loads(path.read_text())
    for row in results.get("sizes", []):
        if row["memory_mb"] == memory_mb:
            return Durations(
                warm_ms=float(row["warm_p50_ms"]),
                cold_init_ms=float(row["init_ms"]),
                source=f"bench right-sizing at {memory_mb} MB (commit {results.get('commit', '?')})",
            )
    return None
