"""benchmarks.devloop.fresh_clone_to_health: the fresh-clone figures of the developer-loop table.

Each case clones a tiny git repository made here, whose ``make run`` serves ``GET /health`` with
Python's own HTTP server after a delay (or fails, or never serves), so the measuring code runs for real
(git, make, a process group, HTTP polling) in seconds.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.devloop import (
    CACHE_VARIABLES,
    _empty_caches,
    fresh_clone_command,
    fresh_clone_to_health,
    pytest_seconds,
)

SERVER = """\
import http.server, pathlib, sys, time
time.sleep(float(sys.argv[2]))
pathlib.Path(sys.argv[3]).touch()

class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *arguments):
        pass

http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Health).serve_forever()
"""


def repository(folder: Path, run_recipe: str) -> Path:
    """A committed repository whose Makefile's ``run`` target is ``run_recipe``."""
    folder.mkdir()
    (folder / "serve.py").write_text(SERVER)
    announce = "@echo caches: $$UV_CACHE_DIR $$npm_config_cache"
    (folder / "Makefile").write_text(f"run:\n\t{announce}\n\t{run_recipe}\n")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    for command in (["init", "--quiet"], ["add", "."], ["commit", "--quiet", "-m", "fixture"]):
        subprocess.run([*git, *command], cwd=folder, check=True)  # noqa: S603
    return folder


def serving_after(seconds: float, marker: Path) -> str:
    return f"@{sys.executable} serve.py $(PORT) {seconds} {marker}"


def test_each_run_clones_anew_and_ends_when_health_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("UV_CACHE_DIR", "/the/developers/uv/cache")
    served = tmp_path / "served"
    origin = repository(tmp_path / "origin", serving_after(0.2, served))
    work = tmp_path / "work"
    work.mkdir()

    timing = fresh_clone_to_health(origin, work, 2, empty_caches=False, timeout_seconds=60)

    assert timing.exit_codes == (0, 0)
    assert not timing.timed_out
    assert len(timing.seconds) == 2
    assert served.exists()
    assert "warm caches" in timing.command
    assert "caches: /the/developers/uv/cache" in (work / "clone-1.log").read_text()
    assert sorted(path.name for path in work.iterdir()) == ["clone-0.log", "clone-1.log"]


def test_empty_caches_are_new_folders_for_uv_pip_and_npm(tmp_path: Path):
    origin = repository(tmp_path / "origin", serving_after(0, tmp_path / "served"))
    work = tmp_path / "work"
    work.mkdir()

    timing = fresh_clone_to_health(origin, work, 1, empty_caches=True, timeout_seconds=60)

    caches = work / "caches-0"
    assert timing.exit_codes == (0,)
    assert "empty caches" in timing.command
    log = (work / "clone-0.log").read_text()
    assert f"caches: {caches / 'UV_CACHE_DIR'} {caches / 'npm_config_cache'}" in log
    assert not caches.exists()


def test_the_cache_folders_are_new_and_empty_for_each_run(tmp_path: Path):
    stale = tmp_path / "caches"
    (stale / "UV_CACHE_DIR" / "wheels").mkdir(parents=True)

    environment = _empty_caches(stale)

    assert set(environment) == set(CACHE_VARIABLES)
    assert [list(Path(folder).iterdir()) for folder in environment.values()] == [[], [], []]


def test_a_run_that_fails_before_serving_is_recorded_with_its_output(tmp_path: Path):
    origin = repository(tmp_path / "origin", "@echo no python here >&2; exit 3")
    work = tmp_path / "work"
    work.mkdir()

    timing = fresh_clone_to_health(origin, work, 1, empty_caches=False, timeout_seconds=60)

    assert timing.exit_codes == (2,)
    assert not timing.timed_out
    assert "no python here" in timing.failure_output


def test_a_run_that_never_serves_is_stopped_with_its_whole_process_group(tmp_path: Path):
    """The server would write its marker after 1 s unless its group (make and python) is stopped."""
    marker = tmp_path / "served"
    origin = repository(tmp_path / "origin", serving_after(1, marker))
    work = tmp_path / "work"
    work.mkdir()

    timing = fresh_clone_to_health(origin, work, 3, empty_caches=False, timeout_seconds=0.3)
    time.sleep(1.2)

    assert timing.timed_out
    assert len(timing.seconds) == 1
    assert not marker.exists()
    assert not (work / "clone-0").exists()


def test_a_fresh_clones_make_test_runs_in_a_new_clone_removed_afterwards(tmp_path: Path):
    origin = tmp_path / "origin"
    repository(origin, "@echo run")
    with (origin / "Makefile").open("a") as makefile:
        makefile.write("test:\n\t@test ! -e .venv && echo '=== 2 passed in 0.10s ==='\n")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "commit", "--quiet", "-am", "test target"], cwd=origin, check=True)  # noqa: S603
    work = tmp_path / "work"
    work.mkdir()

    timing = fresh_clone_command(origin, work, ["make", "test"], 2, label="clone test", timeout_seconds=60)

    assert timing.command == "clone test"
    assert timing.exit_codes == (0, 0)
    assert len(timing.seconds) == 2
    assert pytest_seconds(timing.output_tail) == 0.1
    assert list(work.iterdir()) == []
