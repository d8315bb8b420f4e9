"""docs/benchmarks.md: every figure of one ``make bench`` run, with the command behind it and the machine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks.artifacts import ArchiveSize
from benchmarks.devloop import (
    FRESH_CLONE_TEST_LABEL,
    FRESH_CLONE_TIMEOUT_SECONDS,
    CommandTiming,
    fresh_clone_label,
    pytest_seconds,
)
from benchmarks.machine import Machine
from benchmarks.measure import ColdSample, ColdSummary, WarmPair, paired_difference
from benchmarks.steps import StepFailure
from benchmarks.variants import PROJECT_TRACER, PROJECT_TRACER_VARIANT, Variant

MIB = 1024 * 1024
MB = 1000 * 1000
LAMBDA_UNZIPPED_LIMIT_MIB = 250
"""Function code plus all its layers, unzipped (AWS's "250 MB" is 250 MiB)."""
LAYER_TARGET_MB = 9
"""The layer's budget, "<= 9 MB zipped", taken as it is written: decimal megabytes."""
MIN_COLD_RUNS = 15
"""The fewest fresh processes behind each cold-path median of the published report."""
WARM_TARGET_CALL = "GET /items/{id}"
"""The warm-path request the handler-vs-ASGI target is about."""


@dataclass(frozen=True)
class ArtifactFigures:
    """One asset as deployed: sizes, and how many of its modules would compile at a cold start."""

    label: str
    size: ArchiveSize
    modules: int
    without_bytecode: int


@dataclass(frozen=True)
class RunSettings:
    command: str
    cold_runs: int
    warmup_rounds: int
    warm_invocations: int
    synth_runs: int
    make_test_timeout_seconds: float
    fresh_clone_timeout_seconds: float = FRESH_CLONE_TIMEOUT_SECONDS


@dataclass(frozen=True)
class Results:
    settings: RunSettings
    machine: Machine
    commit: str
    started_at: str
    minutes: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    variants: Sequence[Variant]
    cold: dict[str, ColdSummary]
    warm: dict[str, WarmPair]
    lambda_layer: ArtifactFigures | None
    lambda_code: ArtifactFigures | None
    other_artifacts: Sequence[ArtifactFigures]
    devloop: Sequence[CommandTiming]
    make_test: CommandTiming | None
    fresh_clone: Sequence[CommandTiming] = ()
    """Fresh clone to a served API, warm caches then empty ones; none when the run skipped them."""
    failures: Sequence[StepFailure] = ()
    """The steps that failed; the figures they would have given are missing from the report."""


def render(results: Results, *, chart_file: str) -> str:
    """The report: every section whose figures this run has; a section it cannot write says why."""
    sections: list[tuple[str, Callable[[], str]]] = [
        ("Benchmarks", lambda: _header(results)),
        ("Targets", lambda: _targets(results)),
        ("Cold path", lambda: _cold(results, chart_file)),
        ("Cold path by phase", lambda: _phases(results)),
        ("Tracing at cold start", lambda: _tracing(results)),
        ("Warm path", lambda: _warm(results)),
        ("Artifact", lambda: _artifacts(results)),
        ("Developer loop", lambda: _devloop(results)),
    ]
    return "\n\n".join(_section(title, write).strip() for title, write in sections) + "\n"


def _section(title: str, write: Callable[[], str]) -> str:
    try:
        return write()
    except (KeyError, ValueError, ArithmeticError, TypeError, AttributeError) as error:
        return f"## {title}\n\nNot measured in this run (a step it needs failed or was skipped: {error!r})."


def shortfalls(results: Results) -> list[str]:
    """How this run falls short of the published report (nothing for a full run)."""
    found = [f"{failure.step} failed ({failure.error})" for failure in results.failures]
    if results.settings.cold_runs < MIN_COLD_RUNS:
        found.append(
            f"the cold-path medians are over {results.settings.cold_runs} fresh processes, fewer than "
            f"the report's minimum of {MIN_COLD_RUNS}"
        )
    if not any(timing.command == "make synth" for timing in results.devloop):
        found.append("`make synth` was not timed (`--synth-runs 0`)")
    if not any(timing.command == "make check" for timing in results.devloop):
        found.append("`make check` was not timed (`--check-runs 0`)")
    timing = results.make_test
    if timing is None:
        found.append("`make test` was not timed (`--skip-make-test`)")
    elif timing.timed_out:
        found.append(
            f"`make test` did not finish in the {results.settings.make_test_timeout_seconds:.0f} s "
            "left of the run's time limit"
        )
    elif any(timing.exit_codes):
        found.append("`make test` failed, so its time is that of a failing run")
    if not results.fresh_clone:
        found.append("the fresh-clone figures were not measured (`--skip-fresh-clone`)")
    return found


def _header(results: Results) -> str:
    before = ", ".join(f"{value:.2f}" for value in results.load_before)
    after = ", ".join(f"{value:.2f}" for value in results.load_after)
    missing = shortfalls(results)
    warning = "\n**Not a complete report**: " + "; ".join(missing) + ".\n" if missing else ""
    return f"""
# Benchmarks

Written by `{results.settings.command}` on {results.started_at} (commit {results.commit}), in
{results.minutes:.1f} minutes. Every figure comes from that one run; rerun the command to refresh this
file and the chart beside it. What the cold path is made of and why is told in
[cold-start.md](cold-start.md).
{warning}
- **Machine**: {results.machine.describe()}.
- **Load average** (1, 5, 15 min): {before} before the run, {after} after. The machine is shared
  with other work, so absolute times are noisy; variants are interleaved in every round, so the load
  weighs on all of them alike, and the ratios are the figures to compare.
"""


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


@dataclass(frozen=True)
class Target:
    """One row of the targets table: what is asked, this run's figure, and whether it is met."""

    target: str
    figure: str
    met: bool


def targets(results: Results) -> list[Target]:
    """The cold and warm path's targets, the layer's budget, the bytecode rule, then the target against
    the tutorial-style baseline."""
    project, baseline, floor = (results.cold[name] for name in ("project", "baseline", "floor"))
    versus_floor = _ratio(project.total_ms, floor.total_ms)
    first_request = _ratio(project.first_request_ms, floor.first_request_ms)
    rss = _ratio(project.peak_rss_mib, floor.peak_rss_mib)
    warm_ratio = results.warm[WARM_TARGET_CALL].ratio
    layer, code = _lambda_artifacts(results)
    layer_bytes = layer.size.zipped_bytes
    without = layer.without_bytecode + code.without_bytecode
    versus_baseline = _ratio(project.total_ms, baseline.total_ms)
    return [
        Target("cold path total <= 0.75x floor", f"{versus_floor:.3f}x", versus_floor <= 0.75),
        Target(
            "first request after INIT <= 1.2x the floor's",
            f"{first_request:.3f}x ({project.first_request_ms:.1f} vs {floor.first_request_ms:.1f} ms)",
            first_request <= 1.2,
        ),
        Target(
            "cold peak RSS <= 0.9x floor",
            f"{rss:.3f}x ({project.peak_rss_mib:.1f} vs {floor.peak_rss_mib:.1f} MiB)",
            rss <= 0.9,
        ),
        Target(
            "warm GET through the handler <= 1.1x plain ASGI (p50)", f"{warm_ratio:.3f}x", warm_ratio <= 1.1
        ),
        Target(
            f"Lambda layer <= {LAYER_TARGET_MB} MB zipped (MB = 10^6 bytes)",
            f"{layer_bytes / MB:.2f} MB ({layer_bytes / MIB:.2f} MiB)",
            layer_bytes <= LAYER_TARGET_MB * MB,
        ),
        Target("0 deployed modules without usable bytecode", str(without), without == 0),
        Target("cold path total <= 0.35x baseline", f"{versus_baseline:.3f}x", versus_baseline <= 0.35),
    ]


def _targets(results: Results) -> str:
    lines = [
        "## Targets",
        "",
        "Medians of this run; the project is compared with variants measured in the same rounds.",
        "",
        "| target | this run | |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {row.target} | {row.figure} | {_verdict(row.met)} |" for row in targets(results)]
    return "\n".join(lines)


def _compared(results: Results) -> list[Variant]:
    """The variants of the main tables and the chart: all but the tracing ones."""
    return [variant for variant in results.variants if variant.tracing is None]


def _cold(results: Results, chart_file: str) -> str:
    settings = results.settings
    lines = [
        "## Cold path",
        "",
        f"![Cold path per variant: INIT and first request, median ms]({chart_file})",
        "",
        f"Median of {settings.cold_runs} fresh processes per variant ({settings.warmup_rounds} warm-up "
        "round discarded first); in each round every variant (the tracing ones below included) starts "
        "once, in an order that rotates from round to round. Each process is "
        "`python -I -S -B benchmarks/probe.py <config>`: only the unpacked "
        "artifact on `sys.path` (function code, then the layer's `python/`), Lambda's environment "
        "variables, tracing active (X-Ray segments to a local UDP sink), `-B` standing in for Lambda's "
        "read-only file system. The artifact is zipped as the CDK CLI zips assets (every entry dated "
        "1980-01-01) and unpacked read-only with those dates. INIT is the handler's import; the first "
        "request is one authenticated `GET /items/{id}` (API Gateway payload 2.0) answered from moto's "
        "DynamoDB on loopback; peak RSS is the process's high-water mark (`VmHWM`). All times are "
        "wall-clock medians except CPU, the median CPU time the process spent on INIT and the first "
        "request: other work on a shared machine stretches wall-clock time far more than CPU time, "
        "so the CPU ratios are the cross-check of the wall-clock ones (the targets use wall-clock).",
        "",
        "| variant | INIT ms | first request ms | total ms | total vs baseline | total vs floor "
        "| CPU ms | CPU vs baseline | CPU vs floor | peak RSS MiB | modules compiled from source "
        "| modules loaded |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    baseline, floor = results.cold["baseline"], results.cold["floor"]
    for variant in _compared(results):
        summary = results.cold[variant.name]
        lines.append(
            f"| {variant.name} | {summary.init_ms:.1f} | {summary.first_request_ms:.1f} | "
            f"{summary.total_ms:.1f} | {_ratio(summary.total_ms, baseline.total_ms):.3f}x | "
            f"{_ratio(summary.total_ms, floor.total_ms):.3f}x | {summary.cpu_ms:.1f} | "
            f"{_ratio(summary.cpu_ms, baseline.cpu_ms):.3f}x | {_ratio(summary.cpu_ms, floor.cpu_ms):.3f}x | "
            f"{summary.peak_rss_mib:.1f} | {summary.compiled_from_source} | {summary.modules} |"
        )
    lines += ["", "Variants:", ""]
    lines += [f"- **{variant.name}**: {variant.description}." for variant in results.variants]
    return "\n".join(lines)


def _init(sample: ColdSample) -> float:
    return sample.init_ms


def _first_request(sample: ColdSample) -> float:
    return sample.first_request_ms


def _total(sample: ColdSample) -> float:
    return sample.total_ms


def _cpu(sample: ColdSample) -> float:
    return sample.cpu_ms


def _phases(results: Results) -> str:
    lines = [
        "## Cold path by phase",
        "",
        "The same processes as above. INIT is split by the probe's import clock (`ImportClock` in "
        "`benchmarks/probe.py`), which needs nothing from the handler module: **imports** is the time "
        "spent loading modules from outside the function's own code (standard library and layer, "
        "with whatever those modules run at import), **app build** the rest of INIT, the function's "
        "own modules building the app (routes and their models, clients, Powertools' objects, "
        "Mangum). The first request is split the same way: the modules it is the first to need load "
        "during it. Every column is its own median, so imports and app build add up to INIT in each "
        "process but their medians need not add up to INIT's exactly.",
        "",
        "| variant | INIT: imports ms | INIT: app build ms | INIT ms | first request ms "
        "| first request: imports ms | first request vs floor's | modules imported at INIT "
        "| modules imported by the first request |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    floor = results.cold["floor"]
    for variant in results.variants:
        summary = results.cold[variant.name]
        lines.append(
            f"| {variant.name} | {summary.init_imports_ms:.1f} | {summary.app_build_ms:.1f} | "
            f"{summary.init_ms:.1f} | {summary.first_request_ms:.1f} | "
            f"{summary.first_request_imports_ms:.1f} | "
            f"{_ratio(summary.first_request_ms, floor.first_request_ms):.2f}x | "
            f"{summary.init_imported_modules} | {summary.first_request_imported_modules} |"
        )
    if "powertools" in results.cold:
        powertools = results.cold["powertools"]
        wall, cpu = (paired_difference(floor, powertools, metric) for metric in (_total, _cpu))
        lines += [
            "",
            f"What FastAPI and Mangum cost: the floor's cold path minus the powertools variant's, "
            f"{wall:.1f} ms ({cpu:.1f} ms of CPU time), medians of the per-round differences.",
        ]
    return "\n".join(lines)


def _tracing(results: Results) -> str:
    traced = [variant for variant in results.variants if variant.tracing is not None]
    lines = [
        "## Tracing at cold start",
        "",
        "What tracing adds to a cold start: the floor's app built with each tracer where the project "
        "traces (`apps/traced/`: the invocation, the repository call and its DynamoDB call, sent to "
        "the local X-Ray sink), against the untraced floor, in the same rounds. Each added time is the "
        "median of the per-round differences from the floor, which leaves out most of the load that "
        "drifts between rounds; the added CPU time (INIT and first request) is the cross-check that "
        "other work on the machine moves least.",
        "",
        "| tracing | variant | INIT ms | first request ms | total ms | added to INIT, ms "
        "| added to the first request, ms | added in total, ms | added CPU, ms | peak RSS MiB "
        "| modules loaded |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    floor = results.cold["floor"]
    for tracing, name in [("none", "floor"), *((variant.tracing or "", variant.name) for variant in traced)]:
        summary = results.cold[name]
        init, first, total, cpu = (
            paired_difference(summary, floor, metric) for metric in (_init, _first_request, _total, _cpu)
        )
        lines.append(
            f"| {tracing} | {name} | {summary.init_ms:.1f} | {summary.first_request_ms:.1f} | "
            f"{summary.total_ms:.1f} | {init:+.1f} | {first:+.1f} | {total:+.1f} | {cpu:+.1f} | "
            f"{summary.peak_rss_mib:.1f} | {summary.modules} |"
        )
    if not any(variant.name == PROJECT_TRACER_VARIANT for variant in traced):
        lines += [
            "",
            f"The project's own tracer was not measured: this tree's function code has no "
            f"`{PROJECT_TRACER.as_posix()}`.",
        ]
    return "\n".join(lines)


def _warm(results: Results) -> str:
    if not results.warm:
        raise ValueError("the warm path was not measured")
    settings = results.settings
    lines = [
        "## Warm path",
        "",
        f"One warm process of the project's artifact (same set-up as the cold path) making "
        f"{settings.warm_invocations} calls of each kind after a warm-up, all kinds interleaved: "
        "`handler` is the Lambda handler (its logger, tracer and metrics, Mangum, the app) with a "
        "payload 2.0 event; `asgi` calls the same FastAPI app, middleware included, as a plain ASGI "
        "server would, one event loop for all calls. `GET /items/{id}` reads an item and `POST /items` "
        "creates one, both through moto's DynamoDB on loopback, a round trip that both sides pay and "
        "that dilutes their ratio; `GET /health` calls no AWS service, so its pair isolates what Mangum "
        "and the observability wrappers add. The last column is that addition in milliseconds per call "
        "(the handler's p50 minus plain ASGI's), the figure to compare across requests. Calls per "
        "second are for one process calling serially.",
        "",
        "| call | p50 ms | p99 ms | calls/s | p50 vs plain ASGI | p50 minus plain ASGI, ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, pair in results.warm.items():
        for kind, series, ratio, overhead in (
            ("handler", pair.handler, pair.ratio, pair.overhead_ms),
            ("asgi", pair.asgi, 1.0, 0.0),
        ):
            lines.append(
                f"| {kind} {label} | {series.p50_ms:.2f} | {series.p99_ms:.2f} | {series.per_second:.0f} | "
                f"{ratio:.2f}x | {overhead:.2f} |"
            )
    return "\n".join(lines)


def _artifact_row(figures: ArtifactFigures) -> str:
    size = figures.size
    return (
        f"| {figures.label} | {size.zipped_bytes / MIB:.2f} | {size.unzipped_bytes / MIB:.2f} | "
        f"{size.files} | {figures.modules} | {figures.without_bytecode} |"
    )


def _lambda_artifacts(results: Results) -> tuple[ArtifactFigures, ArtifactFigures]:
    if results.lambda_layer is None or results.lambda_code is None:
        raise ValueError("the Lambda artifacts of cdk.out were not audited")
    return results.lambda_layer, results.lambda_code


def _artifacts(results: Results) -> str:
    layer, code = _lambda_artifacts(results)
    deployed = layer.size.unzipped_bytes + code.size.unzipped_bytes
    lines = [
        "## Artifact",
        "",
        "The first two rows are what `make synth` stages in `cdk.out/` for Lambda (dev stage, arm64 "
        "wheels); the others are the variants of the cold path. Each asset is zipped as the CDK CLI "
        "zips it; a module without usable bytecode is a `.py` file that would be compiled at every cold "
        "start once unpacked (no `.pyc` for Python 3.13, or a timestamp `.pyc` that the 1980 entry "
        "dates invalidate). MiB = 1024 x 1024 bytes, the unit of Lambda's limits.",
        "",
        "| asset | zipped MiB | unzipped MiB | files | `.py` modules | without usable bytecode |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        _artifact_row(layer),
        _artifact_row(code),
        *(_artifact_row(figures) for figures in results.other_artifacts),
        "",
        f"Function code and layer together unpack to {deployed / MIB:.1f} MiB of Lambda's "
        f"{LAMBDA_UNZIPPED_LIMIT_MIB} MiB.",
    ]
    return "\n".join(lines)


def _failures(timing: CommandTiming, timeout_seconds: float) -> str:
    if timing.timed_out:
        return f" (stopped after {timeout_seconds:.0f} s, at the run's time limit: a lower bound)"
    failed = [code for code in timing.exit_codes if code != 0]
    return f" ({len(failed)} failed, exit {', '.join(map(str, failed))})" if failed else ""


MAKE_TEST_PYTEST = "make test: its pytest"
"""The row of the seconds pytest itself reports at the end of `make test` (set-up, lint and mypy left out)."""
DEVLOOP_TARGETS_SECONDS = {
    fresh_clone_label(empty_caches=False): 40.0,
    FRESH_CLONE_TEST_LABEL: 420.0,
    "make check": 60.0,
    MAKE_TEST_PYTEST: 300.0,
}
"""The developer loop's targets on a quiet 2-core machine; the other figures are reported without one."""


def _devloop_target(timing: CommandTiming) -> str:
    target = DEVLOOP_TARGETS_SECONDS.get(timing.command)
    if target is None:
        return ""
    met = not timing.timed_out and not any(timing.exit_codes) and timing.median_seconds <= target
    return f"<= {target:.0f} s {_verdict(met)}"


def pytest_row(make_test: CommandTiming) -> CommandTiming | None:
    """`make test`'s pytest alone, from the summary line pytest printed; None if it printed none."""
    seconds = pytest_seconds(make_test.output_tail)
    if seconds is None:
        return None
    return CommandTiming(MAKE_TEST_PYTEST, (seconds,), make_test.exit_codes, make_test.timed_out)


def _devloop(results: Results) -> str:
    lines = [
        "## Developer loop",
        "",
        "Wall time of the commands, run from the repository root with warm caches (`.venv`, "
        "`node_modules` and the layer cache `build/layers/` in place, as after `make test`'s set-up); "
        "`make test` runs once, after the other measurements, so that its load falls on none of them, "
        "and is stopped if it outlasts what is left of the run's time limit; the row of its pytest is "
        "the time pytest reports itself. The fresh-clone figures come "
        "after it: each run is `git clone` of the committed HEAD into a new folder, then `make run` there "
        "until `GET /health` answers 200 (new `.venv`, `node_modules`, `.uv` and layer build), once with "
        "the machine's uv, pip and npm caches as they are and once with new, empty ones; then `make test` "
        "in a new clone, set-up included, with the caches as they are.",
        "",
        "| command | median s | runs | target |",
        "| --- | ---: | ---: | --- |",
    ]
    settings = results.settings
    make_test = [results.make_test] if results.make_test else []
    pytest_alone = [row for row in map(pytest_row, make_test) if row is not None]
    rows = [
        *((timing, settings.fresh_clone_timeout_seconds) for timing in results.fresh_clone),
        *((timing, settings.make_test_timeout_seconds) for timing in results.devloop),
        *((timing, settings.make_test_timeout_seconds) for timing in [*make_test, *pytest_alone]),
    ]
    lines += [
        f"| `{timing.command}` | {timing.median_seconds:.1f} | {len(timing.seconds)}"
        f"{_failures(timing, timeout)} | {_devloop_target(timing)} |"
        for timing, timeout in rows
        if timing.seconds
    ]
    if results.make_test is None:
        lines += ["", "`make test` was not timed in this run (`--skip-make-test`)."]
    if not results.fresh_clone:
        lines += ["", "The fresh-clone figures were not measured in this run (`--skip-fresh-clone`)."]
    return "\n".join(lines)
