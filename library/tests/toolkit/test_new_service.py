"""``sfcdk new`` from an empty folder: the generated repository's ``make test`` is green, and its local API,
started with ``sfcdk local``, answers a request made with a token from ``sfcdk token``.

The repository installs the library from a wheel built here from this checkout (``--library``), never from the
package index. It runs on this machine's CDK CLI and Node (PATH, else the checkout's ``node_modules``) and uv.
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
from pathlib import Path
from typing import IO

import httpx
import pytest
from uv import find_uv_bin

LIBRARY = Path(__file__).resolve().parents[2]
CHECKOUT = LIBRARY.parent

pytestmark = [pytest.mark.slow, pytest.mark.synth, pytest.mark.timeout(900)]


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def _environment() -> dict[str, str]:
    folders = [str(Path(find_uv_bin()).parent)]
    if shutil.which("cdk") is None:
        local = CHECKOUT / "node_modules" / ".bin"
        if not (local / "cdk").exists():
            pytest.skip("no CDK CLI on PATH nor in this checkout's node_modules")
        folders.append(str(local))
    return {**os.environ, "PATH": os.pathsep.join([*folders, os.environ.get("PATH", "")])}


def _run(command: list[str], cwd: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def _banner(process: subprocess.Popen[str], lines: queue.Queue[str]) -> str:
    stdout = process.stdout
    assert stdout is not None
    threading.Thread(target=_pump, args=(stdout, lines), daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + 300
    while not seen or seen[-1].strip() != "Ctrl-C stops.":
        try:
            seen.append(lines.get(timeout=1))
        except queue.Empty:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("sfcdk local stopped or printed no banner:\n" + "".join(seen))
    return "".join(seen)


def test_a_new_service_tests_green_and_serves_an_authenticated_request(tmp_path: Path) -> None:
    environment = _environment()
    repository = tmp_path / "orders-api"
    _run(
        [
            sys.executable,
            "-m",
            "serverless_fastapi_cdk.toolkit",
            "new",
            str(repository),
            "--library",
            str(LIBRARY),
        ],
        tmp_path,
        environment,
    )
    assert (repository / "wheels").is_dir()
    assert "--hash=sha256:" in (repository / "requirements.txt").read_text()
    assert "--hash=sha256:" in (repository / "orders_api" / "requirements.txt").read_text()

    tested = _run(["make", "test", f"PYTHON={sys.executable}"], repository, environment)
    assert re.search(r"\b12 passed\b", tested.stdout), tested.stdout[-2000:]

    process = subprocess.Popen(  # noqa: S603
        [str(repository / ".venv" / "bin" / "sfcdk"), "local", "--port", "0", "--no-reload"],
        cwd=repository,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = _banner(process, queue.Queue())
        url = re.search(r"Local API of stage 'dev': (http://127\.0\.0\.1:\d+)", banner)
        assert url is not None, banner
        assert "TOKEN=$(.venv/bin/sfcdk token alice)" in banner
        token = _run([".venv/bin/sfcdk", "token", "alice"], repository, environment).stdout.strip()
        headers = {"authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url.group(1), timeout=30) as client:
            assert client.get("/items").status_code == 401
            created = client.post("/items", json={"name": "pen"}, headers=headers)
            assert created.status_code == 201, created.text
            assert client.get("/items", headers=headers).json() == {"items": [created.json()]}
            assert client.get("/health").json()["status"] == "ok"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
