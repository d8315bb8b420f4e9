"""tools/local_dev.py serves the bare app on localhost against the embedded emulator."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tools.local_dev import port_from_environment


@pytest.fixture(scope="module")
def local_server() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.local_dev"],
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert f"Serving the items service on {url}" in output


def test_health_and_docs_answer(local_server: str) -> None:
    health = httpx.get(f"{local_server}/health")

    assert health.status_code == 200
    assert health.json()["app_version"] == "local"
    assert httpx.get(f"{local_server}/openapi.json").status_code == 200


def test_items_answer_401_without_an_authorizer(local_server: str) -> None:
    response = httpx.post(f"{local_server}/items", json={"name": "x"}, headers={"authorization": "Bearer x"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("value", ["abc", "0", "65536", "-1"])
def test_a_bad_port_stops_with_a_message(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PORT", value)

    with pytest.raises(SystemExit, match="PORT must be a TCP port number"):
        port_from_environment()
