"""The local API emulator (``make run``) for tests: the dev stage synthesized once, and emulators serving it.

A pytest plugin (registered in tests/conftest.py), so every test folder shares one synthesis of the
dev stage (``dev_assembly_dir``) however many emulators serve it. :func:`running_api` starts one
emulator on a free loopback port, optionally with parts of the app replaced (``customize``), and
gives its console to the test as text.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from serverless_fastapi_cdk.toolkit.local_api.assembly import StageAssembly
from serverless_fastapi_cdk.toolkit.local_api.emulator import Emulator, bind
from serverless_fastapi_cdk.toolkit.local_api.logs import Console
from serverless_fastapi_cdk.toolkit.local_api.model import LocalApp
from serverless_fastapi_cdk.toolkit.local_api.synth import synthesize
from tests.support.synthesis_cache import cached_synthesis

ROOT = Path(__file__).resolve().parents[2]


class CapturedOutput(io.StringIO):
    """The emulator's console, readable by the test while the emulator writes to it."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            return super().write(text)

    def text(self) -> str:
        with self._lock:
            return self.getvalue()


class RecordingConsole(Console):
    """The emulator's console, also keeping every line the function wrote as it wrote it."""

    def __init__(self, stream: CapturedOutput) -> None:
        super().__init__(stream)
        self._lines: list[str] = []
        self._lines_lock = threading.Lock()

    def function_line(self, environment: str, line: str) -> None:
        with self._lines_lock:
            self._lines.append(line)
        super().function_line(environment, line)

    def function_lines(self) -> list[str]:
        with self._lines_lock:
            return list(self._lines)


@dataclass
class RunningApi:
    emulator: Emulator
    output: CapturedOutput
    client: httpx.Client
    recorder: RecordingConsole

    def token(self, user: str, **overrides: Any) -> str:
        return self.emulator.issuer.mint(user, overrides=overrides)

    def auth(self, user: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token(user)}"}

    def console(self) -> str:
        return self.output.text()

    def console_lines_with(self, text: str, timeout: float = 5.0) -> list[str]:
        """The console's lines holding ``text``, waiting for the first: the gateway writes a request's
        access log line after it has sent the response, so the client may read the console first."""
        deadline = time.monotonic() + timeout
        while not (lines := [line for line in self.console().splitlines() if text in line]):
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        return lines

    def function_lines(self) -> list[str]:
        """Every line the function wrote (stdout and stderr), raw, before the console condensed it."""
        return self.recorder.function_lines()


@pytest.fixture(scope="session")
def dev_assembly_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dev stage, synthesized by the project's CDK CLI exactly as ``make run`` does it, once per set
    of inputs (``tests.support.synthesis_cache``)."""
    return cached_synthesis(
        "local-dev",
        tmp_path_factory.mktemp("local-cdk.out"),
        lambda outdir: synthesize(ROOT, outdir, "dev"),
        extra=(Path(synthesize.__code__.co_filename).read_text(),),
    )


@contextmanager
def running_api(
    assembly_dir: Path, state_dir: Path, customize: Callable[[LocalApp], LocalApp] | None = None
) -> Iterator[RunningApi]:
    output = CapturedOutput()
    console = RecordingConsole(output)
    emulator = Emulator(
        StageAssembly(assembly_dir, "dev"),
        listener=bind("127.0.0.1", 0),
        state_dir=state_dir,
        console=console,
        customize=customize,
    )
    emulator.start()
    try:
        with httpx.Client(base_url=emulator.url, timeout=30) as client:
            yield RunningApi(emulator=emulator, output=output, client=client, recorder=console)
    finally:
        emulator.stop()
