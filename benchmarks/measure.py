"""The cold-path and warm-path measurements, and their statistics.

Cold: every round starts one fresh interpreter per variant, in an order that rotates from round to
round, so that a burst of load on the shared machine falls on every variant alike. Warm: one
interpreter interleaves invocations through the handler with calls of the same app as plain ASGI.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.runner import Deployment, run_probe

EnvironmentFor = Callable[[Deployment], dict[str, str]]
Check = Callable[[Deployment, dict[str, Any]], None]


@dataclass(frozen=True)
class ColdSample:
    """One fresh interpreter: handler import (Lambda's INIT), then the first request.

    Wall-clock times are what a caller waits for; the process's CPU time over the same span is the
    cross-check that other work on a shared machine barely moves. The ``imports`` figures are the
    probe's :class:`~benchmarks.probe.ImportClock`: time spent loading modules from outside the
    function's own code (standard library and layers), and how many.
    """

    init_ms: float
    first_request_ms: float
    peak_rss_kib: int
    compiled_from_source: int
    modules: int
    cpu_ms: float = 0.0
    """CPU time of INIT and the first request together."""
    init_imports_ms: float = 0.0
    init_imported_modules: int = 0
    first_request_imports_ms: float = 0.0
    first_request_imported_modules: int = 0

    @property
    def total_ms(self) -> float:
        return self.init_ms + self.first_request_ms

    @property
    def app_build_ms(self) -> float:
        """INIT outside imports: the function's own code building its app."""
        return self.init_ms - self.init_imports_ms


@dataclass(frozen=True)
class ColdSummary:
    """Medians over a variant's samples."""

    samples: tuple[ColdSample, ...]

    def median(self, metric: Callable[[ColdSample], float]) -> float:
        return statistics.median(metric(sample) for sample in self.samples)

    @property
    def init_ms(self) -> float:
        return self.median(lambda sample: sample.init_ms)

    @property
    def first_request_ms(self) -> float:
        return self.median(lambda sample: sample.first_request_ms)

    @property
    def total_ms(self) -> float:
        return self.median(lambda sample: sample.total_ms)

    @property
    def cpu_ms(self) -> float:
        return self.median(lambda sample: sample.cpu_ms)

    @property
    def peak_rss_mib(self) -> float:
        return self.median(lambda sample: sample.peak_rss_kib) / 1024

    @property
    def compiled_from_source(self) -> int:
        return int(self.median(lambda sample: sample.compiled_from_source))

    @property
    def modules(self) -> int:
        return int(self.median(lambda sample: sample.modules))

    @property
    def init_imports_ms(self) -> float:
        return self.median(lambda sample: sample.init_imports_ms)

    @property
    def app_build_ms(self) -> float:
        return self.median(lambda sample: sample.app_build_ms)

    @property
    def first_request_imports_ms(self) -> float:
        return self.median(lambda sample: sample.first_request_imports_ms)

    @property
    def init_imported_modules(self) -> int:
        return int(self.median(lambda sample: sample.init_imported_modules))

    @property
    def first_request_imported_modules(self) -> int:
        return int(self.median(lambda sample: sample.first_request_imported_modules))


def paired_difference(
    subject: ColdSummary, reference: ColdSummary, metric: Callable[[ColdSample], float]
) -> float:
    """The median over rounds of ``metric(subject) - metric(reference)``, both from the same round.

    Samples are kept in round order, and within a round every variant started once, close in time:
    pairing them leaves out most of the load that drifts from round to round.
    """
    return statistics.median(
        metric(mine) - metric(theirs) for mine, theirs in zip(subject.samples, reference.samples, strict=True)
    )


def rotated[T](items: Sequence[T], shift: int) -> list[T]:
    """``items`` starting at position ``shift`` (modulo its length) and wrapping around."""
    start = shift % len(items)
    return [*items[start:], *items[:start]]


def cold_path(
    deployments: Sequence[Deployment],
    *,
    event: dict[str, Any],
    environment_for: EnvironmentFor,
    check: Check,
    runs: int,
    warmup_rounds: int,
) -> dict[str, ColdSummary]:
    """``runs`` measured rounds (after ``warmup_rounds`` discarded ones) of one cold start per variant."""
    samples: dict[str, list[ColdSample]] = {deployment.variant.name: [] for deployment in deployments}
    for round_number in range(warmup_rounds + runs):
        for deployment in rotated(deployments, round_number):
            result = run_probe(
                deployment, {"mode": "cold", "handler": deployment.variant.handler, "events": [event]},
                environment_for(deployment),
            ).result  # fmt: skip
            check(deployment, result)
            if round_number >= warmup_rounds:
                (request,) = result["requests"]
                samples[deployment.variant.name].append(
                    ColdSample(
                        init_ms=result["init_ms"],
                        first_request_ms=request["ms"],
                        peak_rss_kib=result["peak_rss_kib"],
                        compiled_from_source=len(result["compiled_from_source"]),
                        modules=result["modules"],
                        cpu_ms=result["init_cpu_ms"] + request["cpu_ms"],
                        init_imports_ms=result["init_imports_ms"],
                        init_imported_modules=result["init_imported_modules"],
                        first_request_imports_ms=request["imports_ms"],
                        first_request_imported_modules=request["imported_modules"],
                    )
                )
    return {name: ColdSummary(tuple(values)) for name, values in samples.items()}


@dataclass(frozen=True)
class WarmSeries:
    """Latencies of one kind of call (e.g. the handler serving ``GET /items/{id}``), in milliseconds."""

    latencies_ms: tuple[float, ...]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99_ms(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[98]

    @property
    def per_second(self) -> float:
        """Calls per second of one process calling serially."""
        return len(self.latencies_ms) / (sum(self.latencies_ms) / 1000)


@dataclass(frozen=True)
class WarmPair:
    """One request served through the Lambda handler and, interleaved with it, as plain ASGI."""

    handler: WarmSeries
    asgi: WarmSeries

    @property
    def ratio(self) -> float:
        """The handler's p50 over plain ASGI's."""
        return self.handler.p50_ms / self.asgi.p50_ms if self.asgi.p50_ms else float("inf")

    @property
    def overhead_ms(self) -> float:
        """What the handler adds per call: its p50 minus plain ASGI's."""
        return self.handler.p50_ms - self.asgi.p50_ms


def warm_path(
    deployment: Deployment,
    *,
    asgi_app: str,
    events: dict[str, dict[str, Any]],
    expected_statuses: dict[str, int],
    environment: dict[str, str],
    invocations: int,
    warmup: int,
) -> dict[str, WarmPair]:
    """Per request of ``events`` (keyed by a label such as ``GET /health``): ``invocations`` calls
    through the handler and as plain ASGI, every series interleaved in one warm process."""
    result = run_probe(
        deployment,
        {
            "mode": "warm",
            "handler": deployment.variant.handler,
            "asgi_app": asgi_app,
            "events": events,
            "invocations": invocations,
            "warmup": warmup,
        },
        environment,
    ).result
    for name, statuses in result["statuses"].items():
        label = name.split(" ", 1)[1]
        if statuses != [expected_statuses[label]]:
            raise RuntimeError(f"warm path {name}: answered {statuses}, expected {expected_statuses[label]}")
    series = {name: WarmSeries(tuple(values)) for name, values in result["latencies_ms"].items()}
    return {
        label: WarmPair(handler=series[f"handler {label}"], asgi=series[f"asgi {label}"]) for label in events
    }
