"""Session fixtures of the hardening suite: the deployed dev stage, served by the local API emulator.

``hardened_api`` serves the dev stage as ``make run`` does, with two platform limits raised so that
the figures measure the service rather than dev's cost guards: the stage's throttle (20 requests/s)
is lifted and the function may run :data:`ENVIRONMENTS` execution environments at once instead of 5
(prod reserves 100 and throttles at 500/s, both above anything these tests send). All its environments
are started before the first test, a few at a time: 2 cores cannot start 32 interpreters at once
within Lambda's 10 s INIT limit, and the figures should not depend on which test met the cold starts.

``configured_api`` serves the dev stage exactly as configured, every guard on (the contract fuzzing).

``fault_api`` serves the same stage with the handler behind ``fixtures/fault_function``, which
injects the AWS errors a test writes into its plan (``fault_plan``), and one environment.

Figures the tests measure are collected with ``figures`` and printed at the end of the run.

``python_client`` and ``typescript_client`` are the clients generated from the committed contract
(tests/support/generated_clients.py), made once per session.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import pytest

from serverless_fastapi_cdk.toolkit.local_api.model import FunctionSpec, LocalApp
from tests.service.clients import Caller
from tests.support.generated_clients import TypeScriptClient, build_typescript_client, import_python_client
from tests.support.local_api import RunningApi, running_api

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = 32
"""Execution environments the hardened API may run at once (the load test's concurrency)."""
COLD_STARTS_AT_ONCE = 8
FAULT_FUNCTION = Path(__file__).resolve().parent / "fixtures" / "fault_function"
FIGURES_FILE = ROOT / "build" / "reliability" / "figures.json"


def _replace_functions(app: LocalApp, change: Callable[[FunctionSpec], FunctionSpec]) -> LocalApp:
    routes = tuple(dataclasses.replace(route, function=change(route.function)) for route in app.api.routes)
    return app.with_api(dataclasses.replace(app.api, routes=routes))


def with_headroom(app: LocalApp) -> LocalApp:
    """The stage without its throttles (stage and routes), :data:`ENVIRONMENTS` environments allowed."""
    app = app.with_api(dataclasses.replace(app.api, throttle=None, route_throttles={}))
    return _replace_functions(
        app, lambda function: dataclasses.replace(function, reserved_concurrency=ENVIRONMENTS)
    )


def _warm_up(api: RunningApi) -> None:
    """Start all :data:`ENVIRONMENTS` environments ahead of any request, at most
    :data:`COLD_STARTS_AT_ONCE` at a time, so that the load meets warm environments only.

    Each start is the pool's own INIT ahead of an invocation: how many start does not depend on how
    fast this machine hands invocations to environments that are already warm.
    """
    (pool,) = api.emulator.pools.values()
    with ThreadPoolExecutor(max_workers=COLD_STARTS_AT_ONCE) as threads:
        results = list(threads.map(lambda _: pool.prewarm(), range(ENVIRONMENTS)))
    failed = [result for result in results if not isinstance(result, float)]
    assert not failed, f"warming up the API failed: {failed}"


@pytest.fixture(scope="session")
def hardened_api(dev_assembly_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    with running_api(dev_assembly_dir, tmp_path_factory.mktemp("hardened-state"), with_headroom) as api:
        _warm_up(api)
        yield api


@pytest.fixture(scope="session")
def configured_api(dev_assembly_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    """The dev stage exactly as configured: its throttle and its function's reserved concurrency."""
    with running_api(dev_assembly_dir, tmp_path_factory.mktemp("configured-state")) as api:
        yield api


@dataclass(frozen=True)
class FaultPlan:
    """The faults the fault-injection function applies to each invocation from now on."""

    path: Path

    def inject(self, *faults: dict[str, Any], empty_secret_cache: bool = False) -> None:
        self.path.write_text(json.dumps({"faults": list(faults), "empty_secret_cache": empty_secret_cache}))

    def clear(self) -> None:
        self.path.write_text("{}")


def dynamodb_error(
    operation: str, code: str, *, status: int = 400, body_contains: str = ""
) -> dict[str, Any]:
    fault: dict[str, Any] = {"service": "dynamodb", "operation": operation, "code": code, "status": status}
    if body_contains:
        fault["body_contains"] = body_contains
    return fault


def fault_code_dir(code_dir: Path, destination: Path) -> Path:
    """The deployed code asset plus the fault-injection handler and the fault helper it imports."""
    for entry in code_dir.iterdir():
        (destination / entry.name).symlink_to(entry)
    (destination / "fault_injection.py").symlink_to(FAULT_FUNCTION / "fault_injection.py")
    support = destination / "tests" / "support"
    support.mkdir(parents=True)
    (support / "faults.py").symlink_to(ROOT / "tests" / "support" / "faults.py")
    return destination


@dataclass
class FaultApi:
    api: RunningApi
    plan: FaultPlan


@pytest.fixture(scope="session")
def fault_api(dev_assembly_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultApi]:
    plan = FaultPlan(tmp_path_factory.mktemp("fault-plan") / "plan.json")
    plan.clear()
    code_root = tmp_path_factory.mktemp("fault-code")

    def with_fault_injection(app: LocalApp) -> LocalApp:
        def wrap(function: FunctionSpec) -> FunctionSpec:
            return dataclasses.replace(
                function,
                code_dir=fault_code_dir(function.code_dir, code_root),
                handler="fault_injection.handler",
                environment={**function.environment, "FAULT_PLAN_FILE": str(plan.path)},
                reserved_concurrency=1,
            )

        (function,) = app.functions()
        wrapped = wrap(function)
        app = app.with_api(dataclasses.replace(app.api, throttle=None, route_throttles={}))
        return _replace_functions(app, lambda _: wrapped)

    with running_api(dev_assembly_dir, tmp_path_factory.mktemp("fault-state"), with_fault_injection) as api:
        yield FaultApi(api=api, plan=plan)


@pytest.fixture
def fault_plan(fault_api: FaultApi) -> Iterator[FaultPlan]:
    """The fault API's plan, emptied again after the test."""
    yield fault_api.plan
    fault_api.plan.clear()


@dataclass
class Figures:
    """Measured figures, printed at the end of the run and written to ``build/reliability/``."""

    values: dict[str, str] = field(default_factory=dict)

    def record(self, name: str, value: object) -> None:
        self.values[name] = str(value)


_FIGURES = Figures()


@pytest.fixture(scope="session")
def figures() -> Figures:
    return _FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _FIGURES.values:
        return
    terminalreporter.section("reliability figures")
    for name, value in _FIGURES.values.items():
        terminalreporter.write_line(f"{name}: {value}")
    FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    FIGURES_FILE.write_text(json.dumps(_FIGURES.values, indent=2) + "\n")
    terminalreporter.write_line(f"(written to {os.path.relpath(FIGURES_FILE)})")


@pytest.fixture
def new_caller(hardened_api: RunningApi) -> Callable[[str], Caller]:
    """A signed-in user of the hardened API, with a name unique to this run."""

    def make(name: str) -> Caller:
        return Caller(hardened_api, f"{name}-{uuid4()}")

    return make


@pytest.fixture(scope="session")
def python_client(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The generated Python client's package, ``items_client`` (tests/support/generated_clients.py)."""
    return import_python_client(tmp_path_factory.mktemp("python-client"))


@pytest.fixture(scope="session")
def typescript_client(tmp_path_factory: pytest.TempPathFactory) -> TypeScriptClient:
    """The generated TypeScript types, checked against the round trip's calls and bundled with it."""
    return build_typescript_client(tmp_path_factory.mktemp("typescript-client"))
