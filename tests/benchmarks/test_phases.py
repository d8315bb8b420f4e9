"""The probe's import clock: INIT split into imports and app build, and the first request's imports.

A made-up function whose every phase takes a known time on a virtual clock: its handler module's first
import (its own ``clock`` module) replaces the probe's ``time.perf_counter`` with a clock that stands
still except when a module says it works. The handler module imports a layer module (150 ms of work at
import) and one of its own modules, which imports another layer module (50 ms) and then works for
100 ms; the handler module then works for 100 ms itself, and its first request imports a third layer
module (100 ms) and works 50 ms more. The import clock must put exactly 200 ms in imports, leave the
own modules' 200 ms to app build, and see the request's import: attribution, not the machine's speed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from benchmarks.runner import PROBE_FLAGS, deploy, run_probe
from benchmarks.variants import Variant

CODE = {
    "clock.py": """
import time

_now = time.perf_counter()


def work(seconds):
    global _now
    _now += seconds


time.perf_counter = lambda: _now
""",
    "fn.py": """
import clock

import slow_dependency
import own_helper

clock.work(0.1)


def handler(event, context):
    import request_dependency

    clock.work(0.05)
    return {"statusCode": 200, "body": request_dependency.NAME}
""",
    "own_helper.py": """
import clock

import nested_dependency

clock.work(0.1)
""",
}
LAYER = {
    "slow_dependency.py": "import clock\nclock.work(0.15)\n",
    "nested_dependency.py": "import clock\nclock.work(0.05)\n",
    "request_dependency.py": "import clock\nclock.work(0.1)\nNAME = 'request_dependency'\n",
}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, source in files.items():
        (folder / name).write_text(source)
    return folder


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("phases")
    variant = Variant(
        name="phases",
        description="sleeps",
        handler="fn.handler",
        code_dir=write(root / "code", CODE),
        layer_dir=write(root / "layer" / "python", LAYER).parent,
    )
    deployment = deploy(variant, root / "deployed")
    outcome = run_probe(
        deployment,
        {"mode": "cold", "handler": "fn.handler", "events": [{}]},
        {"PATH": os.environ.get("PATH", "")},
        flags=PROBE_FLAGS,
    )
    return outcome.result


def test_init_imports_are_the_layer_modules_wherever_they_are_imported_from(result: dict[str, Any]):
    assert result["init_imports_ms"] == pytest.approx(200)
    assert result["init_imported_modules"] == 2


def test_the_rest_of_init_is_the_functions_own_code(result: dict[str, Any]):
    """INIT's start is read before the virtual clock is installed, so app build is 200 ms plus however
    long loading the handler module's first lines took: at least the own modules' work, never less."""
    app_build_ms = result["init_ms"] - result["init_imports_ms"]

    assert app_build_ms > 200 - 1e-6


def test_the_first_request_counts_the_modules_it_is_the_first_to_import(result: dict[str, Any]):
    (request,) = result["requests"]

    assert request["body"] == "request_dependency"
    assert request["imports_ms"] == pytest.approx(100)
    assert request["ms"] == pytest.approx(150)
    assert request["imported_modules"] == 1
