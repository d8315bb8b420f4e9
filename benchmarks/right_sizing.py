"""``python -m benchmarks.right_sizing`` (``make rightsize``): the probes under each memory size's CPU share.

Builds the project's artifact as ``make bench`` does (dev stage, ``layer_platform=host``), then for each
size of :data:`benchmarks.sizing.MEMORY_SIZES` runs the cold and warm probes inside a cgroup v1 CPU quota of
that size's share, writes ``benchmarks/results/right_sizing.json`` (which ``make cost`` reads) and the
right-sizing section of docs/benchmarks.md. Needs root (the quota); only this part of the bench runs.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from benchmarks import sizing, variants
from benchmarks.__main__ import (
    CURSOR_SECRET_NAME,
    ITEM,
    REPORT,
    TABLE_NAME,
    USER,
    Backend,
)
from benchmarks.machine import commit, load_average, this_machine
from benchmarks.measure import cold_path, warm_path
from benchmarks.report import WARM_TARGET_CALL
from benchmarks.runner import deploy, xray_sink
from cdk_app.config import ENVIRONMENTS
from runtime.repository import ItemRepository
from serverless_fastapi_cdk.canary_deployment import RollbackThresholds
from serverless_fastapi_cdk.toolkit.local_api.synth import synthesize
from tests.support.apigw import http_api_event
from tests.support.aws_emulator import (
    create_cursor_secret,
    create_items_table,
    running_emulator,
    use_fake_aws_credentials,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "right_sizing.json"


def environment_limits() -> dict[str, sizing.Limits]:
    """Each environment's p99 latency rollback threshold and cold-start alarm threshold."""
    return {
        config.name: sizing.Limits(
            warm_p99_ms=config.alarm_thresholds.rollback.api_p99_latency_ms
            or RollbackThresholds().api_p99_latency_ms,
            cold_ms=config.alarm_thresholds.cold_start_p99_ms,
        )
        for config in ENVIRONMENTS
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.right_sizing", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per size (default 5)")
    parser.add_argument("--warm-invocations", type=int, default=200, help="warm calls per size (200)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench", help="scratch folder")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite the section from the saved figures, measure nothing",
    )
    options = parser.parse_args(argv)
    if options.report_only:
        figures, saved = sizing.load(RESULTS)
        write_report(figures, commit=saved["commit"], machine=saved["machine"])
        return 0
    use_fake_aws_credentials()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    host_assembly = options.work / "host-cdk.out"
    print("synthesizing the dev stage for this machine ...", flush=True)
    synthesize(ROOT, host_assembly, "dev")
    project = deploy(variants.project(host_assembly), options.work / "run" / "project")
    figures = []
    load_before = load_average()
    with running_emulator() as emulator, xray_sink() as xray_address:
        create_items_table(emulator.dynamodb(), TABLE_NAME)
        create_cursor_secret(emulator.secretsmanager(), CURSOR_SECRET_NAME)
        item = ItemRepository(emulator.dynamodb(), TABLE_NAME).create(USER, ITEM)
        backend = Backend(endpoint_url=emulator.endpoint_url, xray_address=xray_address, item_id=item.id)
        event = http_api_event("GET", f"/items/{item.id}", sub=USER)
        for memory_mb in sizing.MEMORY_SIZES:
            print(f"{memory_mb} MB ({sizing.cpu_share(memory_mb):.2f} vCPU) ...", flush=True)
            with sizing.cpu_quota(memory_mb):
                cold = cold_path(
                    [project],
                    event=event,
                    environment_for=backend.environment,
                    check=backend.check_cold,
                    runs=options.runs,
                    warmup_rounds=1,
                )["project"]
                warm = warm_path(
                    project,
                    asgi_app="runtime.handler.app",
                    events={WARM_TARGET_CALL: event},
                    expected_statuses={WARM_TARGET_CALL: 200},
                    environment=backend.environment(project),
                    invocations=options.warm_invocations,
                    warmup=20,
                )[WARM_TARGET_CALL]
            figures.append(
                sizing.SizeFigures(
                    memory_mb=memory_mb,
                    init_ms=cold.init_ms,
                    first_request_ms=cold.first_request_ms,
                    warm_p50_ms=warm.handler.p50_ms,
                    warm_p99_ms=warm.handler.p99_ms,
                )
            )
    loads = ", ".join(f"{value:.2f}" for value in (*load_before, *load_average()))
    machine = (
        f"{this_machine().describe()}; load averages (1, 5, 15 min) before and after: {loads}. Other work on "
        "the shared cores stretches every figure beyond the quota's own effect"
    )
    revision = commit(ROOT)
    sizing.save(RESULTS, figures, commit=revision, machine=machine)
    write_report(figures, commit=revision, machine=machine)
    return 0


def write_report(figures: list[sizing.SizeFigures], *, commit: str, machine: str) -> None:
    content = sizing.section(figures, environment_limits(), commit=commit, machine=machine)
    REPORT.write_text(sizing.with_section(REPORT.read_text(), content))
    print(content)


if __name__ == "__main__":
    raise SystemExit(main())
