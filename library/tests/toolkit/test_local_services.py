"""``sfcdk local`` serves other apps than this repository's: the orders fixture (its stack outside any stage)
and a stage with two HTTP APIs (one service with a table, one without), each API on its own port, with a
token per audience from ``sfcdk token --api``.

The apps synthesize with this machine's CDK CLI (PATH, else the checkout's ``node_modules``) and the running
Python, given with ``--app``.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import pytest

LIBRARY = Path(__file__).resolve().parents[2]
FIXTURES = LIBRARY / "tests" / "fixtures"
CHECKOUT = LIBRARY.parent

pytestmark = [pytest.mark.slow, pytest.mark.synth, pytest.mark.timeout(600)]


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def _environment() -> dict[str, str]:
    if shutil.which("cdk") is not None:
        return dict(os.environ)
    local = CHECKOUT / "node_modules" / ".bin"
    if not (local / "cdk").exists():
        pytest.skip("no CDK CLI on PATH nor in this checkout's node_modules")
    return {**os.environ, "PATH": os.pathsep.join([str(local), os.environ.get("PATH", "")])}


def _sfcdk(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "serverless_fastapi_cdk.toolkit", *arguments]


@contextmanager
def _serving(project: Path, app: str, state_dir: Path) -> Iterator[str]:
    """``sfcdk local`` on free ports; yields its banner once it is up, and stops it with Ctrl-C."""
    process = subprocess.Popen(  # noqa: S603
        _sfcdk("local", "--project", str(project), "--app", app, "--port", "0", "--no-reload",
               "--state-dir", str(state_dir)),
        cwd=project, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    stdout = process.stdout
    assert stdout is not None
    threading.Thread(target=_pump, args=(stdout, lines), daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 300
        while not seen or seen[-1].strip() != "Ctrl-C stops.":
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("sfcdk local stopped or printed no banner:\n" + "".join(seen))
        yield "".join(seen)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _token(state_dir: Path, *api: str) -> dict[str, str]:
    result = subprocess.run(  # noqa: S603
        _sfcdk("token", "alice", "--state-dir", str(state_dir), *api),
        capture_output=True, text=True, check=False, cwd=FIXTURES,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return {"authorization": f"Bearer {result.stdout.strip()}"}


def test_the_orders_fixture_is_served_from_its_stack_outside_any_stage(tmp_path: Path) -> None:
    with _serving(FIXTURES, f"{sys.executable} orders_service/app.py", tmp_path) as banner:
        url = re.search(r"Local API of the app's stacks: (http://127\.0\.0\.1:\d+)", banner)
        assert url is not None, banner
        assert re.search(r"table +Orders-Table", banner), banner
        with httpx.Client(base_url=url.group(1), timeout=30) as client:
            assert client.get("/status").json()["state"] == "serving"
            assert client.get("/orders").status_code == 401
            answer = client.get("/orders", headers=_token(tmp_path))
            assert (answer.status_code, answer.json()["code"]) == (501, "not_implemented")


def test_a_stage_with_two_apis_serves_each_on_its_own_port(tmp_path: Path) -> None:
    with _serving(FIXTURES / "two_apis", f"{sys.executable} app.py", tmp_path) as banner:
        urls = dict(re.findall(r"api +(\w+): (http://127\.0\.0\.1:\d+)", banner))
        assert set(urls) == {"orders", "status"}, banner
        assert urls["orders"] != urls["status"]
        assert "--api status" in banner
        orders, status = _token(tmp_path, "--api", "orders"), _token(tmp_path, "--api", "status")
        with httpx.Client(timeout=30) as client:
            for url in urls.values():
                assert client.get(f"{url}/status").status_code == 200
            assert client.get(f"{urls['orders']}/orders", headers=orders).status_code == 501
            assert client.get(f"{urls['status']}/orders", headers=status).status_code == 501
            assert client.get(f"{urls['status']}/orders", headers=orders).status_code == 401
            assert client.get(f"{urls['orders']}/orders", headers=status).status_code == 401
