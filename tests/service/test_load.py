"""A bounded load test through the emulated API Gateway and Lambda, on loopback only.

``LOAD_CONCURRENCY`` virtual users (32) share a budget of ``LOAD_REQUESTS`` requests (1,000 in
``make test``, 10,000 in ``make load``) and stop by themselves when it is spent, or fail the test
when ``LOAD_TIME_LIMIT_SECONDS`` passes first. Each user creates, reads, replaces, deletes and lists
its own items in a seeded random mix and keeps what the answers say it should hold; afterwards every
user's listing is compared with that, so a write the service acknowledged but lost (or one it
invented) is counted. Latencies are client-side, per request, with this machine's 2 cores shared
by the client, the emulator, the Lambda environments and the local DynamoDB.
"""

from __future__ import annotations

import os
import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.service.clients import Caller
from tests.service.conftest import ENVIRONMENTS, Figures
from tests.support.local_api import RunningApi

REQUESTS = int(os.environ.get("LOAD_REQUESTS", "1000"))
CONCURRENCY = int(os.environ.get("LOAD_CONCURRENCY", str(ENVIRONMENTS)))
TIME_LIMIT_SECONDS = float(os.environ.get("LOAD_TIME_LIMIT_SECONDS", "900"))
SEED = 8_008


@dataclass
class Budget:
    """Requests left to send, and the deadline after which nobody sends any more."""

    remaining: int
    deadline: float
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        with self.lock:
            if self.remaining <= 0 or time.monotonic() > self.deadline:
                return False
            self.remaining -= 1
            return True


@dataclass
class VirtualUser:
    caller: Caller
    chooser: random.Random
    expected: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What the answers say this user holds: item id -> item."""
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def timed(self, method: str, path: str, expected_status: int, **options: Any) -> Any:
        started = time.perf_counter()
        response = self.caller.request(method, path, **options)
        self.latencies.append(time.perf_counter() - started)
        if response.status_code != expected_status:
            self.errors.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
            return None
        return response

    def step(self, number: int) -> None:
        roll = self.chooser.random()
        owned = list(self.expected)
        if not owned or roll < 0.35:
            self.create(number)
        elif roll < 0.60:
            self.read(self.chooser.choice(owned))
        elif roll < 0.75:
            self.replace(self.chooser.choice(owned), number)
        elif roll < 0.85:
            self.delete(self.chooser.choice(owned))
        else:
            self.timed("GET", "/items", 200, params={"limit": 20})

    def create(self, number: int) -> None:
        headers = {"idempotency-key": f"load-{number}"} if self.chooser.random() < 0.2 else {}
        body = {"name": f"item {number}", "price": f"{number % 1000}.{number % 100:02d}", "tags": ["load"]}
        response = self.timed("POST", "/items", 201, json=body, headers=headers)
        if response is not None:
            self.expected[response.json()["id"]] = response.json()

    def read(self, item_id: str) -> None:
        response = self.timed("GET", f"/items/{item_id}", 200)
        if response is not None and response.json() != self.expected[item_id]:
            self.errors.append(f"GET {item_id}: {response.json()} != {self.expected[item_id]}")

    def replace(self, item_id: str, number: int) -> None:
        current = self.expected[item_id]
        body = {"name": f"replaced {number}", "tags": ["load", "replaced"]}
        headers = {"if-match": f'"{current["version"]}"'}
        response = self.timed("PUT", f"/items/{item_id}", 200, json=body, headers=headers)
        if response is not None:
            self.expected[item_id] = response.json()

    def delete(self, item_id: str) -> None:
        version = self.expected[item_id]["version"]
        if self.timed("DELETE", f"/items/{item_id}", 204, headers={"if-match": f'"{version}"'}) is not None:
            del self.expected[item_id]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def test_bounded_load_has_no_errors_and_loses_no_writes(
    hardened_api: RunningApi, new_caller: Callable[[str], Caller], figures: Figures
) -> None:
    assert urlsplit(hardened_api.emulator.url).hostname == "127.0.0.1"
    users = [VirtualUser(new_caller(f"load{n}"), random.Random(SEED + n)) for n in range(CONCURRENCY)]
    budget = Budget(remaining=REQUESTS, deadline=time.monotonic() + TIME_LIMIT_SECONDS)
    numbers = iter(range(REQUESTS))
    numbers_lock = threading.Lock()

    def run(user: VirtualUser) -> None:
        while budget.take():
            with numbers_lock:
                number = next(numbers)
            user.step(number)

    threads = [threading.Thread(target=run, args=(user,)) for user in users]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    latencies = [latency for user in users for latency in user.latencies]
    errors = [error for user in users for error in user.errors]
    lost = phantom = stale = 0
    for user in users:
        stored = {item["id"]: item for item in user.caller.listing()}
        lost += len(user.expected.keys() - stored.keys())
        phantom += len(stored.keys() - user.expected.keys())
        stale += sum(1 for key in user.expected.keys() & stored.keys() if stored[key] != user.expected[key])

    assert len(latencies) == REQUESTS, f"the time limit ended the run after {len(latencies)} requests"
    assert errors == [], "\n".join(
        line for line in hardened_api.console().splitlines() if '"ERROR"' in line or "Traceback" in line
    )[-6000:]
    assert (lost, phantom, stale) == (0, 0, 0)
    held = sum(len(user.expected) for user in users)
    p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
    figures.record(
        f"load: {REQUESTS} requests at concurrency {CONCURRENCY}",
        f"{elapsed:.1f} s ({REQUESTS / elapsed:.0f} req/s), 0 errors, 0 lost / 0 phantom / 0 stale writes "
        f"({held} items checked afterwards), latency p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
        f"mean {statistics.fmean(latencies) * 1000:.0f} ms",
    )
