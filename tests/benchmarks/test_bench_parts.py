"""Parts of ``make bench`` that shape its figures: interleaving, statistics, the chart, the verdicts."""

from __future__ import annotations

import dataclasses
import json
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

from benchmarks.__main__ import REPORT, arguments, chart_path
from benchmarks.artifacts import ArchiveSize
from benchmarks.chart import INIT_COLOR, REQUEST_COLOR, Bar, cold_path_chart
from benchmarks.devloop import (
    FRESH_CLONE_TEST_LABEL,
    CommandTiming,
    fresh_clone_label,
    pytest_seconds,
    time_command,
)
from benchmarks.machine import Machine
from benchmarks.measure import ColdSample, ColdSummary, WarmPair, WarmSeries, paired_difference, rotated
from benchmarks.raster import Raster
from benchmarks.report import MIB, ArtifactFigures, Results, RunSettings, render
from benchmarks.steps import Steps
from benchmarks.variants import PROJECT_TRACER_VARIANT, Variant, floor_with_project_tracer
from runtime.contract import HANDLER


def test_every_variant_leads_a_round_in_turn():
    rounds = [rotated(["project", "baseline", "floor", "bare"], shift) for shift in range(5)]

    assert [order[0] for order in rounds] == ["project", "baseline", "floor", "bare", "project"]
    assert all(sorted(order) == ["bare", "baseline", "floor", "project"] for order in rounds)


def test_cold_figures_are_medians_and_the_total_is_per_process():
    samples = tuple(
        ColdSample(init_ms=init, first_request_ms=first, peak_rss_kib=rss, compiled_from_source=0, modules=1)
        for init, first, rss in [(100, 50, 2048), (300, 10, 4096), (200, 90, 3072)]
    )
    summary = ColdSummary(samples)

    assert (summary.init_ms, summary.first_request_ms, summary.peak_rss_mib) == (200, 50, 3.0)
    assert summary.total_ms == 290


def test_warm_percentiles_and_throughput():
    series = WarmSeries(tuple(float(value) for value in range(1, 101)))

    assert series.p50_ms == 50.5
    assert series.p99_ms == 99.01
    assert round(series.per_second, 3) == round(100 / 5.05, 3)


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGB rows of an 8-bit RGB PNG without filtering; every chunk's CRC checked."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, {}
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc
        chunks[kind] = body
        offset += 12 + length
    width, height, depth, color_type, _, _, _ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, color_type) == (8, 2)
    assert b"IEND" in chunks
    return width, height, zlib.decompress(chunks[b"IDAT"])


def pixel(image: tuple[int, int, bytes], x: int, y: int) -> tuple[int, int, int]:
    width, _, rows = image
    start = y * (width * 3 + 1) + 1 + x * 3
    red, green, blue = rows[start : start + 3]
    return red, green, blue


def test_the_raster_is_a_valid_png_with_what_was_drawn():
    raster = Raster(8, 4)
    raster.fill(2, 1, 3, 2, (10, 20, 30))

    image = decode_png(raster.png())

    assert image[:2] == (8, 4)
    assert pixel(image, 2, 1) == pixel(image, 4, 2) == (10, 20, 30)
    assert pixel(image, 5, 1) == pixel(image, 2, 3) == (255, 255, 255)


def test_the_chart_scales_bars_to_the_longest_total():
    chart = cold_path_chart([Bar("LONG", 300, 400), Bar("SHORT", 50, 100)], "TITLE")
    image = decode_png(chart.png())
    width, height, _ = image
    colors = [[pixel(image, x, y) for x in range(width)] for y in range(height)]

    def bar_lengths(color: tuple[int, int, int]) -> list[int]:
        return sorted({row.count(color) for row in colors} - {0}, reverse=True)

    long_init, short_init = bar_lengths(INIT_COLOR)[:2]
    long_request, short_request = bar_lengths(REQUEST_COLOR)[:2]
    assert long_init + long_request > 3.9 * (short_init + short_request)
    assert abs(long_init - 3 * long_request) <= 2


def sample(
    total_ms: float,
    rss_mib: float = 50,
    *,
    first_ms: float = 10,
    imports_ms: float = 0,
    request_imports_ms: float = 0,
    cpu_ms: float = 0,
) -> ColdSample:
    return ColdSample(
        init_ms=total_ms - first_ms,
        first_request_ms=first_ms,
        peak_rss_kib=int(rss_mib * 1024),
        compiled_from_source=0,
        modules=1,
        init_imports_ms=imports_ms,
        init_imported_modules=int(imports_ms),
        first_request_imports_ms=request_imports_ms,
        first_request_imported_modules=int(request_imports_ms),
        cpu_ms=cpu_ms,
    )


def cold(total_ms: float, rss_mib: float, **phases: float) -> ColdSummary:
    return ColdSummary((sample(total_ms, rss_mib, **phases),))


def artifact(label: str, zipped_mib: float, without_bytecode: int) -> ArtifactFigures:
    size = ArchiveSize(zipped_bytes=int(zipped_mib * MIB), unzipped_bytes=int(3 * zipped_mib * MIB), files=1)
    return ArtifactFigures(label=label, size=size, modules=10, without_bytecode=without_bytecode)


def warm_pair(handler_ms: float, asgi_ms: float) -> WarmPair:
    return WarmPair(handler=WarmSeries((handler_ms, handler_ms)), asgi=WarmSeries((asgi_ms, asgi_ms)))


MAKE_TEST = CommandTiming(
    command="make test",
    seconds=(330.0,),
    exit_codes=(0,),
    output_tail="...\n================ 1233 passed in 271.50s (0:04:31) ================",
)
DEVLOOP = (
    CommandTiming(command="make synth", seconds=(7.0, 8.0, 9.0)),
    CommandTiming(command="make check", seconds=(50.0, 55.0, 70.0), exit_codes=(0, 0, 0)),
)
FRESH_CLONE = (
    CommandTiming(fresh_clone_label(empty_caches=False), (35.0, 38.0, 45.0), (0, 0, 0)),
    CommandTiming(fresh_clone_label(empty_caches=True), (120.0,), (0,)),
    CommandTiming(FRESH_CLONE_TEST_LABEL, (400.0,), (0,)),
)


def variant(name: str, tracing: str | None = None) -> Variant:
    return Variant(
        name=name, description=name, handler="h.h", code_dir=Path(name), layer_dir=None, tracing=tracing
    )


def results(
    *,
    project: ColdSummary | None = None,
    warm_get: tuple[float, float] = (5.0, 4.0),
    layer_mib: float = 8.5,
    code_without_bytecode: int = 0,
    cold_runs: int = 15,
    make_test: CommandTiming | None = MAKE_TEST,
    fresh_clone: tuple[CommandTiming, ...] = FRESH_CLONE,
    tracers: tuple[str, ...] = (),
    devloop: tuple[CommandTiming, ...] = DEVLOOP,
) -> Results:
    """A run whose project meets the cold-path targets unless told otherwise."""
    variants = [variant(name) for name in ("project", "powertools", "floor", "baseline", "bare")]
    variants += [variant(f"floor+{tracer}", tracing=tracer) for tracer in tracers]
    return Results(
        settings=RunSettings(
            "make bench",
            cold_runs=cold_runs,
            warmup_rounds=1,
            warm_invocations=10,
            synth_runs=3,
            make_test_timeout_seconds=420,
        ),
        machine=Machine(cpu="CPU", cores=2, memory_gib=4, system="Linux", python="3.13.0"),
        commit="abc1234",
        started_at="2026-01-01 00:00 UTC",
        minutes=3,
        load_before=(1, 1, 1),
        load_after=(2, 2, 2),
        variants=variants,
        cold={
            "project": project or cold(280, 44, first_ms=22, imports_ms=150, request_imports_ms=5),
            "powertools": cold(150, 30, first_ms=15, imports_ms=80, request_imports_ms=2, cpu_ms=120),
            "floor": cold(400, 50, first_ms=20, imports_ms=300, request_imports_ms=4, cpu_ms=350),
            "baseline": cold(1000, 70, first_ms=40, imports_ms=900),
            "bare": cold(1, 10, first_ms=0.5),
            **{f"floor+{tracer}": cold(400 + 10 * (index + 1), 52) for index, tracer in enumerate(tracers)},
        },
        warm={
            "GET /items/{id}": warm_pair(*warm_get),
            "POST /items": warm_pair(6.0, 5.0),
            "GET /health": warm_pair(1.5, 0.25),
        },
        lambda_layer=artifact("layer", layer_mib, 0),
        lambda_code=artifact("code", 0.1, code_without_bytecode),
        other_artifacts=[],
        devloop=devloop,
        make_test=make_test,
        fresh_clone=fresh_clone,
    )


def table_rows(markdown: str, heading: str) -> list[list[str]]:
    """The body rows of the first table under ``## heading``, as lists of cells."""
    section = markdown.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]


def target_rows(markdown: str) -> dict[str, str]:
    return {target: f"{figure} {verdict}" for target, figure, verdict in table_rows(markdown, "Targets")}


def test_the_report_judges_each_target_from_the_run():
    good = results(warm_get=(4.36, 4.0))
    bad = results(
        project=cold(320, 46, first_ms=30), warm_get=(4.5, 4.0), layer_mib=8.7, code_without_bytecode=2
    )
    met = target_rows(render(good, chart_file="c.png"))
    missed = target_rows(render(bad, chart_file="c.png"))

    assert met == {
        "cold path total <= 0.75x floor": "0.700x met",
        "first request after INIT <= 1.2x the floor's": "1.100x (22.0 vs 20.0 ms) met",
        "cold peak RSS <= 0.9x floor": "0.880x (44.0 vs 50.0 MiB) met",
        "warm GET through the handler <= 1.1x plain ASGI (p50)": "1.090x met",
        "Lambda layer <= 9 MB zipped (MB = 10^6 bytes)": "8.91 MB (8.50 MiB) met",
        "0 deployed modules without usable bytecode": "0 met",
        "cold path total <= 0.35x baseline": "0.280x met",
    }
    assert {target: verdict for target, verdict in missed.items() if verdict.endswith("**missed**")} == {
        "cold path total <= 0.75x floor": "0.800x **missed**",
        "first request after INIT <= 1.2x the floor's": "1.500x (30.0 vs 20.0 ms) **missed**",
        "cold peak RSS <= 0.9x floor": "0.920x (46.0 vs 50.0 MiB) **missed**",
        "warm GET through the handler <= 1.1x plain ASGI (p50)": "1.125x **missed**",
        "Lambda layer <= 9 MB zipped (MB = 10^6 bytes)": "9.12 MB (8.70 MiB) **missed**",
        "0 deployed modules without usable bytecode": "2 **missed**",
    }


def test_the_layer_target_is_judged_in_decimal_megabytes_as_the_issue_writes_it():
    under_9_mib_over_9_mb = target_rows(render(results(layer_mib=8.6), chart_file="c.png"))

    assert under_9_mib_over_9_mb["Lambda layer <= 9 MB zipped (MB = 10^6 bytes)"] == (
        "9.02 MB (8.60 MiB) **missed**"
    )


def test_the_cold_table_sets_the_project_beside_powertools_and_the_floor_but_not_the_tracing_variants():
    rows = table_rows(render(results(tracers=("xray-sdk",)), chart_file="c.png"), "Cold path")

    assert [(row[0], row[3], row[5]) for row in rows] == [
        ("project", "280.0", "0.700x"),
        ("powertools", "150.0", "0.375x"),
        ("floor", "400.0", "1.000x"),
        ("baseline", "1000.0", "2.500x"),
        ("bare", "1.0", "0.003x"),
    ]


def test_every_variant_gets_its_init_split_into_imports_and_app_build_and_its_first_request():
    report = render(results(tracers=("xray-sdk",)), chart_file="c.png")
    rows = {row[0]: row[1:] for row in table_rows(report, "Cold path by phase")}

    assert list(rows) == ["project", "powertools", "floor", "baseline", "bare", "floor+xray-sdk"]
    assert rows["project"] == ["150.0", "108.0", "258.0", "22.0", "5.0", "1.10x", "150", "5"]
    assert rows["floor"] == ["300.0", "80.0", "380.0", "20.0", "4.0", "1.00x", "300", "4"]
    assert "the floor's cold path minus the powertools variant's, 250.0 ms (230.0 ms of CPU time)" in report


def test_the_tracing_table_adds_each_tracers_cost_to_the_floor_round_by_round():
    floor = ColdSummary((sample(400, cpu_ms=300), sample(500, cpu_ms=380), sample(420, cpu_ms=310)))
    traced = ColdSummary(
        (
            sample(412, first_ms=12, cpu_ms=303),
            sample(530, cpu_ms=384),
            sample(425, first_ms=14, cpu_ms=312),
        )
    )
    three_rounds = {"floor": floor, "floor+xray-sdk": traced, "powertools": ColdSummary((sample(150),) * 3)}
    report = dataclasses.replace(results(tracers=("xray-sdk",)), cold={**results().cold, **three_rounds})

    rows = table_rows(render(report, chart_file="c.png"), "Tracing at cold start")

    assert [(row[0], row[1], *row[4:9]) for row in rows] == [
        ("none", "floor", "420.0", "+0.0", "+0.0", "+0.0", "+0.0"),
        ("xray-sdk", "floor+xray-sdk", "425.0", "+10.0", "+2.0", "+12.0", "+3.0"),
    ]


def test_the_tracing_section_says_when_the_project_has_no_tracer_to_measure():
    without = render(results(tracers=("xray-sdk",)), chart_file="c.png")
    report = results(tracers=("xray-sdk",))
    with_tracer = dataclasses.replace(
        report,
        variants=[*report.variants, variant(PROJECT_TRACER_VARIANT, tracing="the project's own")],
        cold={**report.cold, PROJECT_TRACER_VARIANT: cold(405, 50)},
    )

    assert "The project's own tracer was not measured" in without
    assert "The project's own tracer was not measured" not in render(with_tracer, chart_file="c.png")
    assert [
        row[1] for row in table_rows(render(with_tracer, chart_file="c.png"), "Tracing at cold start")
    ] == [
        "floor",
        "floor+xray-sdk",
        PROJECT_TRACER_VARIANT,
    ]


def test_paired_differences_leave_out_the_load_shared_by_a_round():
    loaded_round = 300
    reference = ColdSummary((sample(100), sample(100 + loaded_round), sample(100)))
    subject = ColdSummary((sample(110), sample(110 + loaded_round), sample(130)))

    assert paired_difference(subject, reference, lambda one: one.total_ms) == 10
    assert subject.total_ms - reference.total_ms == 30


def test_the_warm_table_gives_each_request_the_handlers_overhead_in_milliseconds():
    rows = table_rows(render(results(), chart_file="c.png"), "Warm path")

    assert [(call, ratio, overhead) for call, _, _, _, ratio, overhead in rows] == [
        ("handler GET /items/{id}", "1.25x", "1.00"),
        ("asgi GET /items/{id}", "1.00x", "0.00"),
        ("handler POST /items", "1.20x", "1.00"),
        ("asgi POST /items", "1.00x", "0.00"),
        ("handler GET /health", "6.00x", "1.25"),
        ("asgi GET /health", "1.00x", "0.00"),
    ]


def header(report: Results) -> str:
    return render(report, chart_file="c.png").split("## Targets", 1)[0]


def test_a_full_run_is_a_complete_report_of_this_run_only():
    report = render(results(), chart_file="c.png")

    assert "Not a complete report" not in header(results())
    assert "What was tried" not in report
    assert "Not measured in this run" not in report


@pytest.mark.parametrize(
    ("changes", "shortfall"),
    [
        ({"cold_runs": 5}, "over 5 fresh processes, fewer than the report's minimum of 15"),
        ({"devloop": DEVLOOP[1:]}, "`make synth` was not timed"),
        ({"make_test": None}, "`make test` was not timed"),
        ({"fresh_clone": ()}, "the fresh-clone figures were not measured"),
        ({"devloop": DEVLOOP[:1]}, "`make check` was not timed"),
        ({"make_test": dataclasses.replace(MAKE_TEST, exit_codes=(2,))}, "`make test` failed"),
        (
            {"make_test": dataclasses.replace(MAKE_TEST, timed_out=True)},
            "did not finish in the 420 s left of the run's time limit",
        ),
    ],
)
def test_a_run_short_of_the_issue_says_so_in_its_header(changes: dict[str, Any], shortfall: str):
    text = header(results(**changes))

    assert "**Not a complete report**" in text
    assert shortfall in text


def test_a_failing_make_test_is_reported_with_its_exit_code_not_raised():
    failing = dataclasses.replace(MAKE_TEST, exit_codes=(2,))
    rows = table_rows(render(results(make_test=failing), chart_file="c.png"), "Developer loop")

    assert rows[-2:] == [
        ["`make test`", "330.0", "1 (1 failed, exit 2)", ""],
        ["`make test: its pytest`", "271.5", "1 (1 failed, exit 2)", "<= 300 s **missed**"],
    ]


def test_the_developer_loop_table_judges_the_targets_and_reports_the_rest():
    rows = table_rows(render(results(), chart_file="c.png"), "Developer loop")

    assert rows == [
        ["`fresh clone → GET /health 200 (warm caches)`", "38.0", "3", "<= 40 s met"],
        ["`fresh clone → GET /health 200 (empty caches)`", "120.0", "1", ""],
        ["`fresh clone → make test (warm caches)`", "400.0", "1", "<= 420 s met"],
        ["`make synth`", "8.0", "3", ""],
        ["`make check`", "55.0", "3", "<= 60 s met"],
        ["`make test`", "330.0", "1", ""],
        ["`make test: its pytest`", "271.5", "1", "<= 300 s met"],
    ]


@pytest.mark.parametrize(
    ("output", "seconds"),
    [
        ("== 3 passed in 1.25s ==", 1.25),
        ("lint ok\n=== 1 failed, 1232 passed, 2 skipped in 612.03s (0:10:12) ===\nmake: *** Error 1", 612.03),
        ("======= 2 errors in 0.50s =======", 0.5),
        ("make: *** [Makefile:1: lint] Error 1", None),
    ],
)
def test_make_tests_pytest_time_is_the_one_pytest_reports(output: str, seconds: float | None):
    assert pytest_seconds(output) == seconds


def test_a_run_without_the_synth_timing_still_writes_every_section():
    """``--synth-runs 0``: the developer-loop table leaves the row out; nothing divides by no runs."""
    report = render(results(devloop=DEVLOOP[1:]), chart_file="c.png")

    rows = table_rows(report, "Developer loop")
    assert "`make synth`" not in [row[0] for row in rows]
    assert "Not measured in this run" not in report


def test_a_failed_step_is_named_in_the_header_and_the_rest_of_the_report_is_written():
    steps = Steps()
    measured: dict[str, ColdSummary] = {}
    assert steps.run("measuring the cold and warm paths", lambda: measured["project"]) is None
    broken = dataclasses.replace(
        results(), cold={}, warm={}, lambda_layer=None, lambda_code=None, failures=steps.failures
    )

    report = render(broken, chart_file="c.png")

    assert "measuring the cold and warm paths failed (KeyError: 'project')" in header(broken)
    for section in ("Targets", "Cold path", "Warm path", "Artifact"):
        assert f"## {section}\n\nNot measured in this run" in report
    assert table_rows(report, "Developer loop")[0][0] == "`fresh clone → GET /health 200 (warm caches)`"


def test_a_step_that_succeeds_gives_its_value():
    steps = Steps()

    assert steps.run("adding", lambda: 1 + 1) == 2
    assert steps.failures == []


@pytest.mark.parametrize(
    "option",
    ["--synth-runs", "--check-runs", "--fresh-clone-runs", "--empty-cache-runs", "--fresh-clone-test-runs"],
)
def test_every_count_the_help_says_may_be_0_skips_its_figure(option: str, tmp_path: Path):
    options = arguments([option, "0", "--output", str(tmp_path / "quick.md")])

    assert getattr(options, option.removeprefix("--").replace("-", "_")) == 0


@pytest.mark.parametrize("option", ["--runs", "--warm-invocations"])
def test_a_count_that_cannot_be_0_is_refused_before_anything_is_measured(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    with pytest.raises(SystemExit):
        arguments([option, "0", "--output", str(tmp_path / "quick.md")])

    assert "must be 1 or more, not 0" in capsys.readouterr().err


def test_a_fresh_clone_that_timed_out_misses_its_target_at_its_own_limit():
    stopped = dataclasses.replace(FRESH_CLONE[0], seconds=(30.0,), exit_codes=(0,), timed_out=True)
    rows = table_rows(render(results(fresh_clone=(stopped,)), chart_file="c.png"), "Developer loop")

    assert rows[0][2:] == [
        "1 (stopped after 900 s, at the run's time limit: a lower bound)",
        "<= 40 s **missed**",
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["--runs", "14"],
        ["--synth-runs", "0"],
        ["--check-runs", "0"],
        ["--skip-make-test"],
        ["--skip-fresh-clone"],
    ],
)
def test_the_docs_report_refuses_a_short_run(argv: list[str]):
    with pytest.raises(SystemExit):
        arguments(argv)


def test_a_short_run_goes_elsewhere_with_its_chart_beside_it(tmp_path: Path):
    options = arguments(["--runs", "3", "--skip-make-test", "--output", str(tmp_path / "quick.md")])

    assert options.runs == 3
    assert chart_path(options.output) == tmp_path / "quick-cold-path.png"
    assert chart_path(REPORT) == REPORT.parent / "benchmarks-cold-path.png"


def test_a_failing_command_is_recorded_with_its_output_when_it_need_not_succeed(tmp_path: Path):
    timing = time_command(tmp_path, ["sh", "-c", "echo first; echo boom >&2; exit 3"], 2, must_succeed=False)

    assert timing.exit_codes == (3, 3)
    assert not timing.timed_out
    assert timing.failure_output == "first\nboom"
    with pytest.raises(RuntimeError, match="failed \\(3\\):\nfirst\nboom"):
        time_command(tmp_path, ["sh", "-c", "echo first; echo boom >&2; exit 3"], 1)


def test_a_timeout_stops_the_commands_whole_process_group(tmp_path: Path):
    """The child outlives ``sh`` unless its group is stopped too: it would write the marker."""
    marker = tmp_path / "child-survived"
    script = f"(sleep 1.5; touch {marker}) & echo started; wait"

    timing = time_command(tmp_path, ["sh", "-c", script], 3, must_succeed=False, timeout_seconds=0.5)
    time.sleep(2)

    assert timing.timed_out
    assert len(timing.seconds) == 1
    assert timing.failure_output == "started"
    assert not marker.exists()


def test_without_a_project_tracer_in_the_function_code_its_variant_is_left_out(tmp_path: Path):
    stage = tmp_path / "assembly-dev"
    code = stage / "asset.code" / "runtime"
    code.mkdir(parents=True)
    (code / "handler.py").write_text("")
    function = {"Type": "AWS::Lambda::Function", "Properties": {"Handler": HANDLER}}
    function["Metadata"] = {"aws:asset:path": "asset.code"}
    (stage / "Dev.template.json").write_text(json.dumps({"Resources": {"Function": function}}))

    assert floor_with_project_tracer(tmp_path / "work", Path("requirements.txt"), tmp_path) is None
