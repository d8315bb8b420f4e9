"""The functions the benchmark compares, each staged as the folders its zips are made from.

- **project**: the dev stage's function and layer exactly as synthesized (``layer_platform=host``, so
  the layer's wheels run on this machine; the bundler is the one that builds the Lambda layer).
- **powertools**: ``apps/powertools/powertools_app.py``, the floor's request served by Powertools'
  event handler instead of FastAPI and Mangum; Powertools and botocore only, hash-based bytecode.
- **baseline**: ``apps/baseline/tutorial_app.py`` as source, its dependencies (the same pins as the
  project's layer, and the X-Ray SDK its Powertools ``Tracer`` needs) installed with a plain
  ``pip install --target``, which writes timestamp bytecode.
- **floor**: ``apps/floor/floor_app.py`` with FastAPI, Mangum and botocore only (same pins), compiled
  with hash-based invalidation like the project's layer.
- **bare**: ``apps/bare/bare_app.py``, no dependencies.
- **tracing variants**: the floor's app traced (``apps/traced/``), each with one tracer: the X-Ray SDK
  (``floor+xray-sdk``, its own pins below) and, when the tree has it, the project's own tracer
  (``floor+project-tracer``, ``runtime/tracing.py`` from the project's function code). Their cold
  path minus the floor's is what tracing costs.

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
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.assembly import function_assets
from runtime.contract import HANDLER
from serverless_fastapi_cdk.bundling import compile_tree, digest

APPS = Path(__file__).resolve().parent / "apps"
TRACED_APP = APPS / "traced" / "traced_app.py"
BUILD_VERSION = "1"
"""Bump when the way baseline and floor dependencies are built changes."""
TASK_ROOT = "/var/task"
LAYER_ROOT = "/opt/python"
FLOOR_PACKAGES = ("fastapi", "mangum", "botocore")
POWERTOOLS_PACKAGES = ("aws-lambda-powertools", "botocore")
XRAY_SDK_PACKAGES = ("aws-xray-sdk==2.15.0", "wrapt==2.5.2")
"""The X-Ray SDK and its one dependency besides botocore, as the runtime pinned them while it traced
with the SDK: the bench keeps measuring it (and the baseline's Powertools ``Tracer`` needs it)."""
PROJECT_TRACER = Path("runtime") / "tracing.py"
"""The project's tracer in its function code; the ``floor+project-tracer`` variant needs it."""
PROJECT_TRACER_VARIANT = "floor+project-tracer"


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
    tracing: str | None = None
    """For a tracing variant, the tracer it adds to the floor (``None`` for the others)."""
    environment: dict[str, str] = field(default_factory=dict)
    """Variables of its own, beside Lambda's and the service's."""


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


def powertools(work: Path, requirements: Path) -> Variant:
    return Variant(
        name="powertools",
        description="the floor's request through Powertools' event handler (`APIGatewayHttpResolver`) "
        "instead of FastAPI and Mangum: Powertools + botocore only, hash-based bytecode",
        handler="powertools_app.handler",
        code_dir=_code_folder(work, APPS / "powertools" / "powertools_app.py"),
        layer_dir=_compiled_layer(work, "powertools-layer", requirements, POWERTOOLS_PACKAGES),
    )


def baseline(work: Path, requirements: Path) -> Variant:
    def install(site: Path) -> None:
        _pip(["--target", str(site), "-r", str(requirements)])
        _pip(["--target", str(site), "--no-deps", *XRAY_SDK_PACKAGES])

    return Variant(
        name="baseline",
        description="tutorial style: module-level boto3 resource and Powertools, `pip install --target`",
        handler="tutorial_app.handler",
        code_dir=_code_folder(work, APPS / "baseline" / "tutorial_app.py", compiled=False),
        layer_dir=_cached(work, "baseline-layer", [requirements.read_bytes(), *XRAY_SDK_PACKAGES], install),
    )


def floor(work: Path, requirements: Path) -> Variant:
    return Variant(
        name="floor",
        description="FastAPI + Mangum + botocore only, hash-based bytecode",
        handler="floor_app.handler",
        code_dir=_code_folder(work, APPS / "floor" / "floor_app.py"),
        layer_dir=_compiled_layer(work, "floor-layer", requirements, FLOOR_PACKAGES),
    )


def floor_with_xray_sdk(work: Path, requirements: Path) -> Variant:
    return Variant(
        name="floor+xray-sdk",
        description="the floor traced with the X-Ray SDK for Python as the runtime used it through "
        "Powertools' `Tracer` (botocore patched, `## handler` and one subsegment per repository call); "
        "the floor's layer plus the SDK",
        handler="traced_app.handler",
        code_dir=_code_folder(work, TRACED_APP, name="traced-xray-sdk"),
        layer_dir=_compiled_layer(
            work, "floor-xray-sdk-layer", requirements, FLOOR_PACKAGES, pinned_here=XRAY_SDK_PACKAGES
        ),
        tracing="X-Ray SDK for Python",
        environment={"BENCH_TRACER": "xray-sdk"},
    )


def floor_with_project_tracer(work: Path, requirements: Path, host_assembly: Path) -> Variant | None:
    """The floor traced by the project's own tracer, or None if the project's code has none."""
    code = function_assets(host_assembly, "dev", HANDLER).code_dir
    if not (code / PROJECT_TRACER).is_file():
        return None
    return Variant(
        name=PROJECT_TRACER_VARIANT,
        description=f"the floor traced with the project's own tracer (`{PROJECT_TRACER.as_posix()}`, "
        "the project's function code copied beside the app), the same subsegments; the floor's layer",
        handler="traced_app.handler",
        code_dir=_code_folder(work, TRACED_APP, name="traced-project", base=code),
        layer_dir=_compiled_layer(work, "floor-layer", requirements, FLOOR_PACKAGES),
        tracing=f"the project's own (`{PROJECT_TRACER.as_posix()}`)",
        environment={"BENCH_TRACER": "project"},
    )


def bare(work: Path) -> Variant:
    return Variant(
        name="bare",
        description="a handler returning a constant, no dependencies",
        handler="bare_app.handler",
        code_dir=_code_folder(work, APPS / "bare" / "bare_app.py"),
        layer_dir=None,
        serves_items=False,
    )


def _code_folder(
    work: Path, source: Path, *, name: str | None = None, compiled: bool = True, base: Path | None = None
) -> Path:
    """A function code folder ``work/code/<name>`` (default: the handler module's name) holding
    ``source`` on top of a copy of ``base``, compiled with hash-based bytecode unless told otherwise."""
    folder = work / "code" / (name or source.stem)
    shutil.rmtree(folder, ignore_errors=True)
    if base is None:
        folder.mkdir(parents=True)
    else:
        shutil.copytree(base, folder)
    shutil.copyfile(source, folder / source.name)
    if compiled:
        compile_tree(
            folder, deployed_at=TASK_ROOT, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )
    return folder


def _compiled_layer(
    work: Path,
    name: str,
    requirements: Path,
    packages: tuple[str, ...],
    *,
    pinned_here: tuple[str, ...] = (),
) -> Path:
    """A layer of ``packages`` as ``requirements`` pins them, and of ``pinned_here`` (exact pins of
    every package, dependencies included, that the lock may not hold), with hash-based bytecode as
    the project's bundler compiles it."""

    def install(site: Path) -> None:
        _pip(["--no-compile", "--target", str(site), *packages, "-c", str(requirements)])
        if pinned_here:
            _pip(["--no-compile", "--no-deps", "--target", str(site), *pinned_here])
        compile_tree(
            site, deployed_at=LAYER_ROOT, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )

    return _cached(work, name, [requirements.read_bytes(), *packages, *pinned_here], install)


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
