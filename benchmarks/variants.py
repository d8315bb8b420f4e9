"""The four functions the benchmark compares, each staged as the folders its zips are made from.

- **project**: the dev stage's function and layer exactly as synthesized (``layer_platform=host``, so
  the layer's wheels run on this machine; the bundler is the one that builds the Lambda layer).
- **baseline**: ``apps/baseline/tutorial_app.py`` as source, its dependencies (the same pins as the
  project's layer) installed with a plain ``pip install --target``, which writes timestamp bytecode.
- **floor**: ``apps/floor/floor_app.py`` with FastAPI, Mangum and botocore only (same pins), compiled
  with hash-based invalidation like the project's layer.
- **bare**: ``apps/bare/bare_app.py``, no dependencies.

Built dependency folders are kept under the work folder, keyed by what defines them, so a second run
does not call pip again.
"""

from __future__ import annotations

import py_compile
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.assembly import function_assets
from cdk_app.bundling import compile_tree, digest
from runtime.contract import HANDLER

APPS = Path(__file__).resolve().parent / "apps"
BUILD_VERSION = "1"
"""Bump when the way baseline and floor dependencies are built changes."""
TASK_ROOT = "/var/task"
LAYER_ROOT = "/opt/python"
FLOOR_PACKAGES = ("fastapi", "mangum", "botocore")
BASELINE_XRAY_REQUIREMENTS = APPS / "baseline" / "requirements-xray.txt"
"""The tutorial's Powertools Tracer needs the X-Ray SDK, which the project's runtime no longer uses."""


@dataclass(frozen=True)
class Variant:
    """A function to measure: its handler, its code folder and its layer folder (holding ``python/``)."""

    name: str
    description: str
    handler: str
    code_dir: Path
    layer_dir: Path | None
    serves_items: bool = True
    """Whether it answers ``GET /items/{id}`` with the stored item (the bare handler does not)."""


def project(host_assembly: Path) -> Variant:
    """The dev stage's API function, from an assembly synthesized with ``layer_platform=host``."""
    assets = function_assets(host_assembly, "dev", HANDLER)
    (layer,) = assets.layer_dirs
    return Variant(
        name="project",
        description="this project: `runtime/` and its layer as `make run` synthesizes them (dev stage, "
        "`layer_platform=host`)",
        handler=HANDLER,
        code_dir=assets.code_dir,
        layer_dir=layer,
    )


def baseline(work: Path, requirements: Path) -> Variant:
    xray_requirements = BASELINE_XRAY_REQUIREMENTS.read_bytes()

    def install(site: Path) -> None:
        _pip(["--target", str(site), "-r", str(requirements), "-r", str(BASELINE_XRAY_REQUIREMENTS)])

    return Variant(
        name="baseline",
        description="tutorial style: module-level boto3 resource and Powertools, `pip install --target`",
        handler="tutorial_app.handler",
        code_dir=_code_folder(work, APPS / "baseline" / "tutorial_app.py", compiled=False),
        layer_dir=_cached(work, "baseline-layer", [requirements.read_bytes(), xray_requirements], install),
    )


def floor(work: Path, requirements: Path) -> Variant:
    def install(site: Path) -> None:
        _pip(["--no-compile", "--target", str(site), *FLOOR_PACKAGES, "-c", str(requirements)])
        compile_tree(
            site, deployed_at=LAYER_ROOT, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )

    return Variant(
        name="floor",
        description="FastAPI + Mangum + botocore only, hash-based bytecode",
        handler="floor_app.handler",
        code_dir=_code_folder(work, APPS / "floor" / "floor_app.py", compiled=True),
        layer_dir=_cached(work, "floor-layer", [requirements.read_bytes(), *FLOOR_PACKAGES], install),
    )


def bare(work: Path) -> Variant:
    return Variant(
        name="bare",
        description="a handler returning a constant, no dependencies",
        handler="bare_app.handler",
        code_dir=_code_folder(work, APPS / "bare" / "bare_app.py", compiled=True),
        layer_dir=None,
        serves_items=False,
    )


def _code_folder(work: Path, source: Path, *, compiled: bool) -> Path:
    """A function code folder holding ``source`` (compiled with hash-based bytecode when asked)."""
    folder = work / "code" / source.stem
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copyfile(source, folder / source.name)
    if compiled:
        compile_tree(
            folder, deployed_at=TASK_ROOT, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )
    return folder


def _cached(work: Path, name: str, inputs: list[bytes | str], build: Callable[[Path], None]) -> Path:
    """``work/<name>-<hash>/`` holding ``python/`` as ``build`` makes it; built once per set of inputs."""
    key = digest([BUILD_VERSION, sys.version, *inputs])[:16]
    entry = work / f"{name}-{key}"
    if entry.is_dir():
        return entry
    work.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{entry.name}.", dir=work))
    try:
        build(scratch / "python")
        scratch.replace(entry)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return entry


def _pip(arguments: list[str]) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *arguments]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr.strip()}")
