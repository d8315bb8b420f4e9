"""The local API emulator (``make run``) for tests: the dev stage synthesized once, and emulators serving it.

A pytest plugin (registered in tests/conftest.py), so every test folder shares one synthesis of the
dev stage (``dev_assembly_dir``) however many emulators serve it. :func:`running_api` starts one
emulator on a free loopback port, optionally with parts of the app replaced (``customize``), and
gives its console to the test as text.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tools.local_api.assembly import StageAssembly
from tools.local_api.emulator import Emulator, bind
from tools.local_api.logs import Console
from tools.local_api.model import LocalApp
from tools.local_api.synth import synthesize

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


@dataclass
class RunningApi:
    emulator: Emulator
    output: CapturedOutput
    client: httpx.Client

    def token(self, user: str, **overrides: Any) -> str:
        return self.emulator.issuer.mint(user, overrides=overrides)

    def auth(self, user: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token(user)}"}

    def console(self) -> str:
        return self.output.text()


@pytest.fixture(scope="session")
def dev_assembly_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dev stage, synthesized once by the project's CDK CLI exactly as ``make run`` does it."""
    outdir = tmp_path_factory.mktemp("local-cdk.out")
    synthesize(ROOT, outdir, "dev")
    return outdir


@contextmanager
def running_api(
    assembly_dir: Path, state_dir: Path, customize: Callable[[LocalApp], LocalApp] | None = None
) -> Iterator[RunningApi]:
    output = CapturedOutput()
    emulator = Emulator(
        StageAssembly(assembly_dir, "dev"),
        listener=bind("127.0.0.1", 0),
        state_dir=state_dir,
        console=Console(output),
        customize=customize,
    )
    emulator.start()
    try:
        with httpx.Client(base_url=emulator.url, timeout=30) as client:
            yield RunningApi(emulator=emulator, output=output, client=client)
    finally:
        emulator.stop()
