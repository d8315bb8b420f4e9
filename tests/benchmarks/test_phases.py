"""The probe's import clock: INIT split into imports and app build, and the first request's imports.

A made-up function whose every phase sleeps a known time: its handler module imports a layer module
(150 ms at import) and one of its own modules, which imports another layer module (50 ms) and then
works for 100 ms; the handler module then works for 100 ms itself, and its first request imports a
third layer module (100 ms). The clock must put 200 ms in imports and 200 ms in app build, whichever
module the time is spent in, and see the request's import.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from benchmarks.runner import PROBE_FLAGS, deploy, run_probe
from benchmarks.variants import Variant

SLACK_MS = 60.0
"""Time a sleep may overrun on a busy machine; under the 100 ms or more a misattribution would move."""

CODE = {
    "fn.py": """
import time

import slow_dependency
import own_helper

time.sleep(0.1)


def handler(event, context):
    import request_dependency

    return {"statusCode": 200, "body": request_dependency.NAME}
""",
    "own_helper.py": """
import time

import nested_dependency

time.sleep(0.1)
""",
}
LAYER = {
    "slow_dependency.py": "import time\ntime.sleep(0.15)\n",
    "nested_dependency.py": "import time\ntime.sleep(0.05)\n",
    "request_dependency.py": "import time\ntime.sleep(0.1)\nNAME = 'request_dependency'\n",
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
    assert 200 <= result["init_imports_ms"] < 200 + SLACK_MS
    assert result["init_imported_modules"] == 2


def test_the_rest_of_init_is_the_functions_own_code(result: dict[str, Any]):
    app_build_ms = result["init_ms"] - result["init_imports_ms"]

    assert 200 <= app_build_ms < 200 + SLACK_MS


def test_the_first_request_counts_the_modules_it_is_the_first_to_import(result: dict[str, Any]):
    (request,) = result["requests"]

    assert request["body"] == "request_dependency"
    assert 100 <= request["imports_ms"] < 100 + SLACK_MS
    assert request["imports_ms"] < request["ms"]
    assert request["imported_modules"] == 1
