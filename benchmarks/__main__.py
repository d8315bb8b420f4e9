"""``python -m benchmarks`` (``make bench``): measure everything, write docs/benchmarks.md and its chart."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks import sizing, variants
from benchmarks.artifacts import modules_without_usable_bytecode, python_sources, remove_tree
from benchmarks.assembly import function_assets
from benchmarks.chart import Bar, cold_path_chart
from benchmarks.devloop import (
    FRESH_CLONE_TEST_LABEL,
    FRESH_CLONE_TIMEOUT_SECONDS,
    CommandTiming,
    fresh_clone_command,
    fresh_clone_to_health,
    time_command,
)
from benchmarks.machine import commit, load_average, this_machine
from benchmarks.measure import ColdSummary, WarmPair, cold_path, warm_path
from benchmarks.report import MIN_COLD_RUNS, WARM_TARGET_CALL, ArtifactFigures, Results, RunSettings, render
from benchmarks.runner import Deployment, deploy, lambda_environment, package, xray_sink
from benchmarks.steps import Steps
from runtime.contract import HANDLER, HEALTH_PATH
from runtime.repository import ItemRepository
from runtime.schemas.items import ItemWrite
from runtime.token_verifier import ENV_CLIENT_IDS, ENV_ISSUER
from serverless_fastapi_cdk.toolkit.local_api.synth import synthesize
from tests.support.apigw import http_api_event
from tests.support.aws_emulator import (
    create_cursor_secret,
    create_items_table,
    running_emulator,
    use_fake_aws_credentials,
)
from tests.support.token_issuer import session_issuer

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


def _count(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {value}")
        return value

    return parse


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    runs, skippable = _count(1), _count(0)
    parser.add_argument("--runs", type=runs, default=21, help="fresh processes per variant (default 21)")
    parser.add_argument(
        "--warmup-rounds", type=skippable, default=1, help="discarded rounds first (default 1)"
    )
    parser.add_argument("--warm-invocations", type=runs, default=1000, help="warm calls per kind (1000)")
    parser.add_argument(
        "--synth-runs", type=skippable, default=3, help="timed `make synth` runs (default 3; 0 skips it)"
    )
    parser.add_argument(
        "--check-runs", type=skippable, default=3, help="timed `make check` runs (default 3; 0 skips it)"
    )
    parser.add_argument("--skip-make-test", action="store_true", help="skip timing `make test` (~5 min)")
    parser.add_argument(
        "--fresh-clone-runs",
        type=skippable,
        default=3,
        help="fresh clones to GET /health, warm caches (default 3; 0 skips it)",
    )
    parser.add_argument(
        "--empty-cache-runs",
        type=skippable,
        default=1,
        help="the same, uv/pip/npm caches empty (default 1; 0 skips it)",
    )
    parser.add_argument(
        "--fresh-clone-test-runs",
        type=skippable,
        default=1,
        help="`make test` in a fresh clone, set-up included, warm caches (default 1; 0 skips it)",
    )
    parser.add_argument(
        "--skip-fresh-clone", action="store_true", help="skip every fresh-clone figure (~10-15 min)"
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
        or options.synth_runs < 1
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


def token_issuer_settings() -> dict[str, str]:
    """The issuer the project's function verifies every token against: the tests' own, served from this
    process on loopback, so each cold start's key download and first verification are in its figures."""
    session_issuer()
    return {name: os.environ[name] for name in (ENV_ISSUER, ENV_CLIENT_IDS)}


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
            service={**SERVICE_SETTINGS, **token_issuer_settings(), **deployment.variant.environment},
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


def _deployed(work: Path) -> list[Deployment]:
    """The variants of the cold path built for this machine and deployed under ``work``; the project's
    first."""
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
    return [deploy(variant, work / "run" / variant.name) for variant in chosen]


def _paths(
    options: argparse.Namespace, deployments: list[Deployment]
) -> tuple[dict[str, ColdSummary], dict[str, WarmPair]]:
    """The cold path of every variant and the warm path of the project, against one moto server."""
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
    return cold, warm


def main(argv: list[str]) -> int:
    options = arguments(argv)
    use_fake_aws_credentials()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    started = time.perf_counter()
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_before = load_average()
    work: Path = options.work
    steps = Steps()

    devloop: list[CommandTiming] = []
    for command, runs in (("synth", options.synth_runs), ("check", options.check_runs)):
        if runs:
            timing = steps.run(
                f"timing make {command}",
                partial(time_command, ROOT, ["make", command], runs, must_succeed=command != "check"),
            )
            devloop += [timing] if timing is not None else []
    artifacts = steps.run("auditing the Lambda artifacts in cdk.out", lambda: lambda_artifacts(work))
    deployments = (
        steps.run(
            "synthesizing the dev stage for this machine, building the variants", lambda: _deployed(work)
        )
        or []
    )
    paths = None
    if deployments:
        paths = steps.run("measuring the cold and warm paths", lambda: _paths(options, deployments))
    cold, warm = paths if paths is not None else ({}, {})

    make_test: CommandTiming | None = None
    make_test_limit = max(options.time_limit - (time.perf_counter() - started), MIN_MAKE_TEST_SECONDS)
    if not options.skip_make_test:
        make_test = steps.run(
            f"timing make test (stopped after {make_test_limit:.0f} s)",
            lambda: time_command(
                ROOT, ["make", "test"], 1, must_succeed=False, timeout_seconds=make_test_limit
            ),
        )
        if make_test is not None and make_test.failure_output:
            print(f"make test did not pass; its last lines:\n{make_test.failure_output}", flush=True)

    fresh_clone: list[CommandTiming] = []
    if not options.skip_fresh_clone:
        clones = work / "fresh-clone"
        clones.mkdir(parents=True, exist_ok=True)
        for empty_caches, runs in ((False, options.fresh_clone_runs), (True, options.empty_cache_runs)):
            if not runs:
                continue
            timing = steps.run(
                f"fresh clone to GET /health, {'empty' if empty_caches else 'warm'} caches",
                partial(fresh_clone_to_health, ROOT, clones, runs, empty_caches=empty_caches),
            )
            if timing is not None:
                fresh_clone.append(timing)
        if options.fresh_clone_test_runs:
            timing = steps.run(
                "fresh clone's make test",
                lambda: fresh_clone_command(
                    ROOT,
                    clones,
                    ["make", "test"],
                    options.fresh_clone_test_runs,
                    label=FRESH_CLONE_TEST_LABEL,
                    timeout_seconds=FRESH_CLONE_TIMEOUT_SECONDS,
                ),
            )
            if timing is not None:
                fresh_clone.append(timing)

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
        variants=[deployment.variant for deployment in deployments],
        cold=cold,
        warm=warm,
        lambda_layer=artifacts[0] if artifacts else None,
        lambda_code=artifacts[1] if artifacts else None,
        other_artifacts=variant_artifacts(deployments),
        devloop=devloop,
        make_test=make_test,
        fresh_clone=fresh_clone,
        failures=steps.failures,
    )
    chart_file = chart_path(options.output)
    chart_file.parent.mkdir(parents=True, exist_ok=True)
    bars = [
        Bar(variant.name, cold[variant.name].init_ms, cold[variant.name].total_ms)
        for variant in results.variants
        if variant.tracing is None and variant.name in cold
    ]
    if bars:
        cold_path_chart(bars, f"COLD PATH, MEDIAN OF {options.runs} FRESH PROCESSES (MS)").save(chart_file)
    previous = options.output.read_text() if options.output.exists() else ""
    options.output.write_text(sizing.carried_over(previous, render(results, chart_file=chart_file.name)))
    print(f"wrote {options.output}" + (f" and {chart_file}" if bars else ""), flush=True)
    return 1 if steps.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
