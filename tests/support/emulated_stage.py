"""Session fixtures: emulators serving the dev stage (synthesized once, ``tests.support.local_api``).

``dev_api`` serves the stage as ``make run`` does. ``probe_api`` serves the same template with the
function's code replaced by ``fixtures/probe_function`` (standard library only, 3 s timeout) and one
extra route, ``ANY /short/{proxy+}``, whose integration gives up after 1 s. ``broken_layer_api`` serves
the real code with a copy of the layer that lacks ``mangum``. Each emulator writes its console to a
buffer the tests read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from serverless_fastapi_cdk.toolkit.local_api.model import LocalApp
from tests.support.local_api import RunningApi, running_api

PROBE_DIR = Path(__file__).resolve().parents[1] / "tools" / "local_api" / "fixtures" / "probe_function"
PROBE_TIMEOUT_SECONDS = 3.0
SHORT_INTEGRATION_TIMEOUT_SECONDS = 1.0
MISSING_PACKAGE = "mangum"

__all__ = ["RunningApi"]


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
    (proxy,) = (route for route in routes if route.route_key == "GET /{proxy+}")
    short = dataclasses.replace(
        proxy, route_key="ANY /short/{proxy+}", integration_timeout_seconds=SHORT_INTEGRATION_TIMEOUT_SECONDS
    )
    return app.with_api(dataclasses.replace(app.api, routes=(*routes, short)))


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
        return app.with_api(dataclasses.replace(app.api, routes=routes))

    with running_api(dev_assembly_dir, tmp_path_factory.mktemp("broken-state"), without_package) as api:
        yield api
