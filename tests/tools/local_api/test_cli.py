"""``sfcdk local`` and ``sfcdk token`` (behind ``make run`` and ``make token``), as a user runs them.

Answers that come before any server starts (a taken port, no assembly, no running API) are checked by
calling the command's ``main`` in this process, as ``sfcdk`` would, instead of paying a fresh
interpreter's imports for each; ``local`` itself runs as the real command in a process of its own.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from serverless_fastapi_cdk.toolkit.cli import main
from serverless_fastapi_cdk.toolkit.local_api.emulator import PortInUseError, bind

ROOT = Path(__file__).resolve().parents[3]


def _command(command: str, *arguments: str, state_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "serverless_fastapi_cdk.toolkit",
        command,
        "--state-dir",
        str(state_dir),
        *arguments,
    ]


def _run(*arguments: str, state_dir: Path) -> subprocess.CompletedProcess[str]:
    command = _command(*arguments, state_dir=state_dir)
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603 (our argv)


def _main(
    capsys: pytest.CaptureFixture[str], command: str, *arguments: str, state_dir: Path
) -> tuple[int, str]:
    """``sfcdk COMMAND ...``'s exit code and standard error, run in this process."""
    code = main([command, "--state-dir", str(state_dir), *arguments])
    return code, capsys.readouterr().err


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.add(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_taken_port_is_reported_with_what_to_do(
    taken_port: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(
        PortInUseError, match=f"port {taken_port} .* already in use .* --port {taken_port + 1}"
    ):
        bind("127.0.0.1", taken_port)
    code, stderr = _main(
        capsys, "local", "--port", str(taken_port), "--assembly", str(tmp_path), state_dir=tmp_path
    )
    assert code == 1
    assert stderr.startswith(f"error: port {taken_port} on 127.0.0.1 is already in use")
    assert "Traceback" not in stderr


def test_token_explains_that_the_api_must_be_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stderr = _main(capsys, "token", "alice", state_dir=tmp_path)
    assert code == 1
    assert "not running: start it with `sfcdk local`" in stderr


def test_a_missing_assembly_is_reported_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stderr = _main(
        capsys, "local", "--port", "0", "--assembly", str(tmp_path / "nothing"), state_dir=tmp_path
    )
    assert code == 1
    assert "manifest.json is missing: synthesize the app first" in stderr
    assert "Traceback" not in stderr


def test_serve_prints_what_to_run_mints_tokens_and_stops_cleanly_on_ctrl_c(
    dev_assembly_dir: Path, tmp_path: Path
) -> None:
    process = subprocess.Popen(  # noqa: S603 (our argv)
        _command(
            "local", "--port", "0", "--stage", "dev", "--assembly", str(dev_assembly_dir), state_dir=tmp_path
        ),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    stdout = process.stdout
    assert stdout is not None

    def pump() -> None:
        for line in stdout:
            lines.put(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    output: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while not output or output[-1].strip() != "Ctrl-C stops.":
            output.append(lines.get(timeout=max(deadline - time.monotonic(), 0.1)))
        banner = "".join(output)
        url = re.search(r"Local API of stage 'dev': (http://127\.0\.0\.1:\d+)", banner)
        assert url is not None, banner
        assert f"TOKEN=$({sys.executable} -m serverless_fastapi_cdk.toolkit token alice)" in banner
        assert f"curl -s {url.group(1)}/health" in banner
        assert f'curl -s -H "authorization: Bearer $TOKEN" {url.group(1)}/items' in banner
        assert f"""-d '{{"name": "example"}}' {url.group(1)}/items""" in banner
        assert f"Every operation, with its parameters: {url.group(1)}/docs" in banner
        assert json.loads((tmp_path / "run.json").read_text())["url"] == url.group(1)

        minted = _run("token", "zoe", state_dir=tmp_path)
        assert minted.returncode == 0, minted.stderr
        response = httpx.get(
            f"{url.group(1)}/items", headers={"authorization": f"Bearer {minted.stdout.strip()}"}
        )
        assert response.status_code == 200
        assert response.json() == {"items": [], "next_cursor": None}
        workers = _children(process.pid)
        assert workers

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(timeout=10)
    rest = ""
    while not lines.empty():
        rest += lines.get()
    assert rest.rstrip().endswith("Stopped.")
    assert "Traceback" not in rest
    assert not (tmp_path / "run.json").exists()
    assert not [pid for pid in workers if _alive(pid)]
