"""Session fixtures: the dev stage synthesized once (layer built for this machine) and emulators serving it.

``dev_api`` serves the stage as ``make run`` does. ``probe_api`` serves the same template with the
function's code replaced by ``fixtures/probe_function`` (standard library only, 3 s timeout) and one
extra route, ``ANY /short/{proxy+}``, whose integration gives up after 1 s. ``broken_layer_api`` serves
the real code with a copy of the layer that lacks ``mangum``. Each emulator writes its console to a
buffer the tests read.
"""

from __future__ import annotations

import dataclasses
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
PROBE_DIR = Path(__file__).resolve().parent / "fixtures" / "probe_function"
PROBE_TIMEOUT_SECONDS = 3.0
SHORT_INTEGRATION_TIMEOUT_SECONDS = 1.0
MISSING_PACKAGE = "mangum"


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


@pytest.fixture(scope="session")
def dev_api(dev_assembly_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    with running_api(dev_assembly_dir, tmp_path_factory.mktemp("dev-state")) as api:
        yield api


def with_probe_function(app: LocalApp) -> LocalApp:
    (function,) = app.functions()
    probe = dataclasses.replace(
        function, code_dir=PROBE_DIR, handler="probe.handler", timeout_seconds=PROBE_TIMEOUT_SECONDS
    )
    routes = tuple(dataclasses.replace(route, function=probe) for route in app.api.routes)
    (proxy,) = (route for route in routes if route.route_key == "ANY /{proxy+}")
    short = dataclasses.replace(
        proxy, route_key="ANY /short/{proxy+}", integration_timeout_seconds=SHORT_INTEGRATION_TIMEOUT_SECONDS
    )
    return dataclasses.replace(app, api=dataclasses.replace(app.api, routes=(*routes, short)))


@pytest.fixture(scope="session")
def probe_api(dev_assembly_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    with running_api(dev_assembly_dir, tmp_path_factory.mktemp("probe-state"), with_probe_function) as api:
        yield api


def layer_without(package: str, layer: Path, destination: Path) -> Path:
    """A copy of ``layer`` (symlinks to its entries) lacking ``package`` and its metadata."""
    python = destination / "python"
    python.mkdir(parents=True)
    for entry in (layer / "python").iterdir():
        if entry.name == package or entry.name.startswith(f"{package}-"):
            continue
        (python / entry.name).symlink_to(entry)
    return destination


@pytest.fixture(scope="session")
def broken_layer_api(
    dev_assembly_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    def without_package(app: LocalApp) -> LocalApp:
        (function,) = app.functions()
        (layer,) = function.layer_dirs
        broken = dataclasses.replace(
            function,
            layer_dirs=(layer_without(MISSING_PACKAGE, layer, tmp_path_factory.mktemp("broken-layer")),),
        )
        routes = tuple(dataclasses.replace(route, function=broken) for route in app.api.routes)
        return dataclasses.replace(app, api=dataclasses.replace(app.api, routes=routes))

    with running_api(dev_assembly_dir, tmp_path_factory.mktemp("broken-state"), without_package) as api:
        yield api
