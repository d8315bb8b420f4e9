"""The test suites' markers (tests/support/suites.py) and the time limits every run has.

``make check`` deselects ``slow``; these tests hold what gets that marker, and that a hung test fails
with its name under the limits of pyproject.toml instead of eating CI's time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.suites import kinds_of

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"


@pytest.mark.parametrize(
    ("module", "fixtures", "kinds"),
    [
        ("tests/runtime/test_items.py", {"api", "backend", "aws_emulator"}, set()),
        ("tests/constructs/test_http_api.py", {"template", "synthesized_app"}, {"synth"}),
        ("tests/service/test_items_flow.py", {"dev_api", "dev_assembly_dir"}, {"synth", "emulator"}),
        ("tests/constructs/test_monitoring.py", {"scaffold", "scaffold_app"}, {"synth"}),
        ("library/tests/test_reuse.py", {"tmp_path"}, {"synth"}),
        ("tests/service/test_fuzz_contract.py", set(), {"fuzz", "emulator", "synth"}),
        ("tests/service/test_load.py", set(), {"load", "emulator", "synth"}),
        ("tests/tools/scan/test_scanners.py", set(), {"scanners", "synth"}),
    ],
)
def test_a_test_gets_the_kinds_of_what_it_uses(module: str, fixtures: set[str], kinds: set[str]):
    assert kinds_of(module, fixtures) == kinds


def test_every_kind_is_registered_and_slow_marks_them(request: pytest.FixtureRequest):
    registered = {line.split(":")[0] for line in request.config.getini("markers")}

    assert {"slow", "synth", "emulator", "fuzz", "load", "scanners"} <= registered
    assert request.node.get_closest_marker("slow") is None


@pytest.mark.emulator
def test_a_kind_marked_by_hand_is_slow_too(request: pytest.FixtureRequest):
    assert request.node.get_closest_marker("slow") is not None


def test_the_shared_synthesis_marks_its_users_slow(request: pytest.FixtureRequest, template_json: object):
    """This test asks for a synthesized template (without using it): that alone makes it ``synth``."""
    del template_json
    assert request.node.get_closest_marker("synth") is not None
    assert request.node.get_closest_marker("slow") is not None


def test_every_run_has_a_per_test_and_a_whole_run_limit(request: pytest.FixtureRequest):
    assert float(request.config.getini("timeout")) == 300
    assert float(request.config.getini("session_timeout")) == 1800


def run_pytest(folder: Path, *options: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """pytest with the project's configuration and pytest-timeout alone on ``folder``'s tests."""
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "pytest", "-c", str(PYPROJECT), "--rootdir", str(folder),
         "-p", "pytest_timeout", "-p", "no:cacheprovider", *options, str(folder)],
        capture_output=True, text=True, check=False, timeout=120, cwd=folder,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )  # fmt: skip
    return result, time.perf_counter() - started


def test_a_hung_test_fails_fast_naming_itself(tmp_path: Path):
    (tmp_path / "test_hang.py").write_text(
        "import time\n\ndef test_waits_forever():\n    time.sleep(600)\n\ndef test_after_it():\n    pass\n"
    )

    result, seconds = run_pytest(tmp_path, "-o", "timeout=1")

    assert result.returncode == 1, result.stdout
    assert "FAILED test_hang.py::test_waits_forever - Failed: Timeout" in result.stdout
    assert "1 failed, 1 passed" in result.stdout
    assert seconds < 60


def test_a_run_stops_failing_once_its_whole_run_limit_is_spent(tmp_path: Path):
    (tmp_path / "test_slow.py").write_text(
        "import time\n\ndef test_first():\n    time.sleep(1.2)\n\ndef test_second():\n    pass\n"
    )

    result, _ = run_pytest(tmp_path, "--session-timeout", "1", "-v")

    assert result.returncode == 1, result.stdout
    assert "test_slow.py::test_first PASSED" in result.stdout
    assert "test_second" not in result.stdout
    assert "session-timeout: 1.0 sec exceeded" in result.stdout
