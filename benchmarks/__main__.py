"""``python -m benchmarks`` (``make bench``): measure everything, write docs/benchmarks.md and its chart."""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks import variants
from benchmarks.artifacts import modules_without_usable_bytecode, python_sources, remove_tree
from benchmarks.assembly import function_assets
from benchmarks.chart import Bar, cold_path_chart
from benchmarks.devloop import CommandTiming, fresh_clone_to_health, time_command
from benchmarks.machine import commit, load_average, this_machine
from benchmarks.measure import cold_path, warm_path
from benchmarks.report import MIN_COLD_RUNS, WARM_TARGET_CALL, ArtifactFigures, Results, RunSettings, render
from benchmarks.runner import Deployment, deploy, lambda_environment, package, xray_sink
from runtime.contract import HANDLER, HEALTH_PATH
from runtime.repository import ItemRepository
from runtime.schemas.items import ItemWrite
from serverless_fastapi_cdk.toolkit.local_api.synth import synthesize
from tests.support.apigw import http_api_event
from tests.support.aws_emulator import (
    create_cursor_secret,
    create_items_table,
    running_emulator,
    use_fake_aws_credentials,
)

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "runtime" / "requirements.txt"
TABLE_NAME = "bench-items"
CURSOR_SECRET_NAME = "bench/cursor-signing-key"  # noqa: S105 - a secret's name
USER = "bench-user"
HEALTH_CALL = f"GET {HEALTH_PATH}"
ITEM = ItemWrite(name="benchmark item", price=Decimal("9.90"), tags=["bench"])
SERVICE_SETTINGS = {
    "TABLE_NAME": TABLE_NAME,
    "CURSOR_SECRET_NAME": CURSOR_SECRET_NAME,
    "APP_VERSION": "bench",
    "POWERTOOLS_SERVICE_NAME": "items-api",
    "POWERTOOLS_METRICS_NAMESPACE": "ItemsService",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}
COLD_STATUS = 200
WARM_STATUS = {WARM_TARGET_CALL: 200, "POST /items": 201, HEALTH_CALL: 200}
REPORT = ROOT / "docs" / "benchmarks.md"
TIME_LIMIT_SECONDS = 1200
"""The whole run's limit: `make test`, timed last, is stopped when it comes. What runs before it (the
`make synth` and `make check` timings, the variants' builds, the cold path's rounds of every variant,
the warm path) must leave it room: each variant adds one fresh process to each cold-path round."""
MIN_MAKE_TEST_SECONDS = 20
"""What `make test` gets even if the measurements before it used up the limit."""


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=21, help="fresh processes per variant (default 21)")
    parser.add_argument("--warmup-rounds", type=int, default=1, help="discarded rounds first (default 1)")
    parser.add_argument("--warm-invocations", type=int, default=1000, help="warm calls per kind (1000)")
    parser.add_argument("--synth-runs", type=int, default=3, help="timed `make synth` runs (default 3)")
    parser.add_argument(
        "--check-runs", type=int, default=3, help="timed `make check` runs (default 3; 0 skips it)"
    )
    parser.add_argument("--skip-make-test", action="store_true", help="skip timing `make test` (~4 min)")
    parser.add_argument(
        "--fresh-clone-runs", type=int, default=3, help="fresh clones to GET /health, warm caches (default 3)"
    )
    parser.add_argument(
        "--empty-cache-runs",
        type=int,
        default=1,
        help="the same, uv/pip/npm caches empty (default 1)",
    )
    parser.add_argument(
        "--skip-fresh-clone", action="store_true", help="skip both fresh-clone figures (~3-5 min)"
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=TIME_LIMIT_SECONDS,
        help=f"seconds from the start after which `make test` is stopped (default {TIME_LIMIT_SECONDS})",
    )
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench", help="scratch folder")
    parser.add_argument(
        "--output",
        type=Path,
        default=REPORT,
        help="the report (default docs/benchmarks.md); its chart goes beside it as <name>-cold-path.png",
    )
    options = parser.parse_args(argv)
    short = (
        options.runs < MIN_COLD_RUNS
        or options.check_runs < 1
        or options.skip_make_test
        or options.skip_fresh_clone
    )
    if options.output.resolve() == REPORT and short:
        parser.error(
            f"docs/benchmarks.md takes at least {MIN_COLD_RUNS} runs, the `make check` and `make test` "
            "timings and the fresh-clone figures; "
            "write a shorter run elsewhere with --output"
        )
    return options


def chart_path(report: Path) -> Path:
    """The chart beside ``report``: docs/benchmarks.md -> docs/benchmarks-cold-path.png."""
    return report.with_name(f"{report.stem}-cold-path.png")


@dataclass(frozen=True)
class Backend:
    endpoint_url: str
    xray_address: str
    item_id: str

    def environment(self, deployment: Deployment) -> dict[str, str]:
        return lambda_environment(
            deployment,
            aws_endpoint_url=self.endpoint_url,
            xray_daemon_address=self.xray_address,
            service={**SERVICE_SETTINGS, **deployment.variant.environment},
        )

    def check_cold(self, deployment: Deployment, result: dict[str, Any]) -> None:
        """Every cold start must have served the stored item (or the bare handler's constant)."""
        (request,) = result["requests"]
        served = request["status"] == COLD_STATUS
        if served and deployment.variant.serves_items:
            served = json.loads(request["body"]).get("id") == self.item_id
        if not served:
            raise RuntimeError(f"{deployment.variant.name} answered {request['status']}: {request['body']}")


def audit(label: str, size_and_tree: tuple[Any, Path]) -> ArtifactFigures:
    size, tree = size_and_tree
    return ArtifactFigures(
        label=label,
        size=size,
        modules=len(python_sources(tree)),
        without_bytecode=len(modules_without_usable_bytecode(tree)),
    )


def lambda_artifacts(work: Path) -> tuple[ArtifactFigures, ArtifactFigures]:
    """The dev function's code and layer as ``make synth`` staged them in cdk.out/ for Lambda."""
    assets = function_assets(ROOT / "cdk.out", "dev", HANDLER)
    (layer,) = assets.layer_dirs
    folder = work / "lambda"
    remove_tree(folder)
    return (
        audit("Lambda layer (arm64, cdk.out)", package(layer, folder, "layer")),
        audit("Lambda function code (cdk.out)", package(assets.code_dir, folder, "code")),
    )


def variant_artifacts(deployments: list[Deployment]) -> list[ArtifactFigures]:
    figures = []
    for deployment in deployments:
        name = deployment.variant.name
        if deployment.opt is not None and deployment.layer_size is not None:
            figures.append(
                audit(f"{name}: layer (this machine's wheels)", (deployment.layer_size, deployment.opt))
            )
        figures.append(audit(f"{name}: function code", (deployment.code_size, deployment.task)))
    return figures


def main(argv: list[str]) -> int:
    options = arguments(argv)
    use_fake_aws_credentials()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    started = time.perf_counter()
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_before = load_average()
    work: Path = options.work

    print("timing make synth ...", flush=True)
    devloop = [
        time_command(ROOT, ["make", "synth"], options.synth_runs),
        *(
            [time_command(ROOT, ["make", "check"], options.check_runs, must_succeed=False)]
            if options.check_runs
            else []
        ),
    ]
    lambda_layer, lambda_code = lambda_artifacts(work)

    print("synthesizing the dev stage for this machine, building the variants ...", flush=True)
    host_assembly = work / "host-cdk.out"
    synthesize(ROOT, host_assembly, "dev")
    project_tracer = variants.floor_with_project_tracer(work, REQUIREMENTS, host_assembly)
    chosen = [
        variants.project(host_assembly),
        variants.powertools(work, REQUIREMENTS),
        variants.floor(work, REQUIREMENTS),
        variants.baseline(work, REQUIREMENTS),
        variants.bare(work),
        variants.floor_with_xray_sdk(work, REQUIREMENTS),
        *([project_tracer] if project_tracer is not None else []),
    ]
    deployments = [deploy(variant, work / "run" / variant.name) for variant in chosen]

    with running_emulator() as emulator, xray_sink() as xray_address:
        create_items_table(emulator.dynamodb(), TABLE_NAME)
        create_cursor_secret(emulator.secretsmanager(), CURSOR_SECRET_NAME)
        item = ItemRepository(emulator.dynamodb(), TABLE_NAME).create(USER, ITEM)
        backend = Backend(endpoint_url=emulator.endpoint_url, xray_address=xray_address, item_id=item.id)
        print(f"cold path: {options.runs} rounds of {len(deployments)} variants ...", flush=True)
        cold = cold_path(
            deployments,
            event=http_api_event("GET", f"/items/{item.id}", sub=USER),
            environment_for=backend.environment,
            check=backend.check_cold,
            runs=options.runs,
            warmup_rounds=options.warmup_rounds,
        )
        print("warm path ...", flush=True)
        project = deployments[0]
        warm = warm_path(
            project,
            asgi_app="runtime.handler.app",
            events={
                WARM_TARGET_CALL: http_api_event("GET", f"/items/{item.id}", sub=USER),
                "POST /items": http_api_event("POST", "/items", sub=USER, body=ITEM.model_dump(mode="json")),
                HEALTH_CALL: http_api_event("GET", HEALTH_PATH),
            },
            expected_statuses=WARM_STATUS,
            environment=backend.environment(project),
            invocations=options.warm_invocations,
            warmup=max(options.warm_invocations // 20, 10),
        )

    make_test: CommandTiming | None = None
    make_test_limit = max(options.time_limit - (time.perf_counter() - started), MIN_MAKE_TEST_SECONDS)
    if not options.skip_make_test:
        print(f"timing make test (stopped after {make_test_limit:.0f} s) ...", flush=True)
        make_test = time_command(
            ROOT, ["make", "test"], 1, must_succeed=False, timeout_seconds=make_test_limit
        )
        if make_test.failure_output:
            print(f"make test did not pass; its last lines:\n{make_test.failure_output}", flush=True)

    fresh_clone: list[CommandTiming] = []
    if not options.skip_fresh_clone:
        clones = work / "fresh-clone"
        clones.mkdir(parents=True, exist_ok=True)
        for empty_caches, runs in ((False, options.fresh_clone_runs), (True, options.empty_cache_runs)):
            print(f"fresh clone to GET /health, {'empty' if empty_caches else 'warm'} caches ...", flush=True)
            fresh_clone.append(fresh_clone_to_health(ROOT, clones, runs, empty_caches=empty_caches))

    results = Results(
        settings=RunSettings(
            command=shlex.join(["make", "bench", *([f"BENCH_ARGS={shlex.join(argv)}"] if argv else [])]),
            cold_runs=options.runs,
            warmup_rounds=options.warmup_rounds,
            warm_invocations=options.warm_invocations,
            synth_runs=options.synth_runs,
            make_test_timeout_seconds=make_test_limit,
        ),
        machine=this_machine(),
        commit=commit(ROOT),
        started_at=started_at,
        minutes=(time.perf_counter() - started) / 60,
        load_before=load_before,
        load_after=load_average(),
        variants=chosen,
        cold=cold,
        warm=warm,
        lambda_layer=lambda_layer,
        lambda_code=lambda_code,
        other_artifacts=variant_artifacts(deployments),
        devloop=devloop,
        make_test=make_test,
        fresh_clone=fresh_clone,
    )
    chart = cold_path_chart(
        [
            Bar(variant.name, cold[variant.name].init_ms, cold[variant.name].total_ms)
            for variant in chosen
            if variant.tracing is None
        ],
        f"COLD PATH, MEDIAN OF {options.runs} FRESH PROCESSES (MS)",
    )
    chart_file = chart_path(options.output)
    chart_file.parent.mkdir(parents=True, exist_ok=True)
    chart.save(chart_file)
    notes = (Path(__file__).resolve().parent / "NOTES.md").read_text()
    options.output.write_text(render(results, chart_file=chart_file.name, notes=notes))
    print(f"wrote {options.output} and {chart_file}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
