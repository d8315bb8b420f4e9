"""What the Docker-free bundlers put in the layer and function assets, and how their hashes are derived."""

from __future__ import annotations

import marshal
import sys
import sysconfig
from pathlib import Path
from types import CodeType
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_

from benchmarks.artifacts import modules_without_usable_bytecode, python_sources
from benchmarks.runner import package
from serverless_fastapi_cdk.bundling import BundlingError, require_interpreter
from serverless_fastapi_cdk.dependency_layer import LAYER_PLATFORM_CONTEXT_KEY, DependencyLayer, LayerPlatform
from tests.app.test_snapshots import normalise
from tests.support.cdk_synthesis import (
    ENVIRONMENTS,
    FIXTURES,
    ROOT,
    STACK_KINDS,
    SynthesizedApp,
    logical_id,
    synthesize_app,
)

PYC_TAG = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
HASH_BASED = 0b01
CHECK_SOURCE = 0b10


def asset_dir(app: SynthesizedApp, environment: str, construct: object) -> Path:
    resource = app.template_json(environment, "Stateless")["Resources"][logical_id(construct)]
    return (app.outdir / f"assembly-{environment}" / str(resource["Metadata"]["aws:asset:path"])).resolve()


@pytest.fixture(scope="module")
def layer_dir(synthesized_app: SynthesizedApp) -> Path:
    return asset_dir(synthesized_app, "dev", synthesized_app.stages["dev"].stateless.service.layer)


@pytest.fixture(scope="module")
def code_dir(synthesized_app: SynthesizedApp) -> Path:
    return asset_dir(
        synthesized_app, "dev", synthesized_app.stages["dev"].stateless.service.api_function.function
    )


@pytest.fixture(scope="module")
def deployed(layer_dir: Path, code_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The dev stage's arm64 layer and function code zipped as the CDK CLI zips them (1980 dates) and
    unpacked read-only, as Lambda lays them out: what a cold start imports from."""
    folder = tmp_path_factory.mktemp("deployed")
    _, layer = package(layer_dir, folder, "layer")
    _, code = package(code_dir, folder, "code")
    return {"layer": layer, "code": code}


def compiled(source: Path) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.{PYC_TAG}.pyc"


def pyc_flags_and_code(pyc: Path) -> tuple[int, CodeType]:
    data = pyc.read_bytes()
    code = marshal.loads(data[16:])  # noqa: S302 - bytecode this test suite's own synthesis wrote
    assert isinstance(code, CodeType)
    return int.from_bytes(data[4:8], "little"), code


def test_layer_holds_the_pinned_packages_under_python(layer_dir: Path):
    site = layer_dir / "python"
    pins = [
        line.split("==")[0].replace("-", "_")
        for line in (ROOT / "runtime" / "requirements.txt").read_text().splitlines()
        if "==" in line
    ]

    assert sorted(entry.name for entry in layer_dir.iterdir()) == ["python"]
    for name in pins:
        assert list(site.glob(f"{name}-*.dist-info")), f"{name} is missing from the layer"


def test_layer_wheels_are_manylinux_aarch64(layer_dir: Path):
    extensions = list((layer_dir / "python").rglob("*.so"))

    assert extensions
    assert [extension.name for extension in extensions if "x86_64" in extension.name] == []
    assert any("aarch64-linux-gnu" in extension.name for extension in extensions)


def test_layer_is_stripped_of_what_lambda_never_reads(layer_dir: Path):
    site = layer_dir / "python"

    assert not (site / "bin").exists()
    assert [path for path in site.rglob("*") if path.is_dir() and path.name in {"tests", "test"}] == []
    assert list(site.rglob("*.pyi")) == []
    assert list(site.glob("*-stubs")) == []
    assert list(site.glob("*.dist-info/RECORD")) == []
    assert list(site.glob("*.dist-info/METADATA"))


def test_no_deployed_module_would_be_compiled_at_a_cold_start(deployed: dict[str, Path]):
    """The benchmark's own audit, on the arm64 artifacts the import test cannot run on this machine."""
    layer, code = deployed["layer"], deployed["code"]

    assert len(python_sources(layer)) > 100
    runtime_half = code / "serverless_fastapi_cdk"
    assert len(python_sources(code)) == len(python_sources(ROOT / "runtime")) + len(
        python_sources(runtime_half)
    )
    assert sorted(p.relative_to(code).as_posix() for p in python_sources(runtime_half)) == [
        "serverless_fastapi_cdk/__init__.py",
        "serverless_fastapi_cdk/runtime/__init__.py",
    ]
    assert modules_without_usable_bytecode(layer) == []
    assert modules_without_usable_bytecode(code) == []


def test_layer_bytecode_is_unchecked_hash_and_names_the_deployed_paths(layer_dir: Path):
    flags, code = pyc_flags_and_code(compiled(layer_dir / "python" / "fastapi" / "__init__.py"))
    assert flags & HASH_BASED
    assert not flags & CHECK_SOURCE
    assert code.co_filename == "/opt/python/fastapi/__init__.py"


def test_function_code_is_the_runtime_package_and_the_librarys_runtime_half_with_bytecode(code_dir: Path):
    half = [Path("serverless_fastapi_cdk/__init__.py"), Path("serverless_fastapi_cdk/runtime/__init__.py")]
    sources = sorted([*(path.relative_to(ROOT) for path in (ROOT / "runtime").rglob("*.py")), *half])
    shipped = sorted(path.relative_to(code_dir) for path in code_dir.rglob("*") if path.is_file())

    assert sorted(entry.name for entry in code_dir.iterdir()) == ["runtime", "serverless_fastapi_cdk"]
    assert [path for path in shipped if path.suffix != ".pyc"] == sources
    assert {compiled(code_dir / source) for source in sources} == {
        code_dir / path for path in shipped if path.suffix == ".pyc"
    }
    flags, code = pyc_flags_and_code(compiled(code_dir / "runtime" / "contract.py"))
    assert flags & HASH_BASED
    assert code.co_filename == "/var/task/runtime/contract.py"


def layer_hash(
    requirements: Path,
    architecture: lambda_.Architecture = lambda_.Architecture.ARM_64,
    platform: LayerPlatform = LayerPlatform.LAMBDA,
) -> str:
    layer = DependencyLayer(
        Stack(App(), "Probe"),
        "Layer",
        requirements_file=requirements,
        architecture=architecture,
        platform=platform,
    )
    return layer.asset_hash


def test_layer_hash_depends_on_requirement_content_architecture_and_platform_not_on_the_path(
    tmp_path: Path,
):
    pins = FIXTURES / "requirements" / "six-1.17.0.txt"
    copy = tmp_path / "elsewhere.txt"
    copy.write_bytes(pins.read_bytes())
    base = layer_hash(pins)

    assert layer_hash(copy) == base
    assert layer_hash(FIXTURES / "requirements" / "six-1.16.0.txt") != base
    assert layer_hash(pins, architecture=lambda_.Architecture.X86_64) != base
    assert layer_hash(pins, platform=LayerPlatform.HOST) != base


def test_bytecode_for_a_python_not_installed_fails_synth_saying_what_to_install():
    """No Python 3.14 on this machine: synth says so instead of shipping sources Lambda would compile."""
    with pytest.raises(
        BundlingError, match=r"Python 3\.14 must be compiled by Python 3\.14.*uv python install 3\.14"
    ):
        require_interpreter("3.14")


def test_a_package_without_a_matching_wheel_fails_synth_naming_it(tmp_path: Path):
    stack = Stack(App(outdir=str(tmp_path)), "NoWheel")

    with pytest.raises(RuntimeError, match=r"no wheel of docopt==0\.6\.2 for aarch64-manylinux2014"):
        DependencyLayer(stack, "Layer", requirements_file=FIXTURES / "requirements" / "no-wheel.txt")


def test_a_pin_without_a_hash_fails_synth_naming_the_file(tmp_path: Path):
    stack = Stack(App(outdir=str(tmp_path)), "Unhashed")

    with pytest.raises(RuntimeError, match=r"unhashed\.txt pins a package without a hash"):
        DependencyLayer(stack, "Layer", requirements_file=FIXTURES / "requirements" / "unhashed.txt")


def test_the_layer_shares_no_file_with_uvs_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The bundler edits installed files in place (botocore's endpoints when trimming SDK models): a
    file hard-linked from uv's cache would carry the edit into every venv installed from that cache."""
    cache = tmp_path / "uv-cache"
    monkeypatch.setenv("UV_CACHE_DIR", str(cache))
    layer = DependencyLayer(
        Stack(App(outdir=str(tmp_path / "out")), "Copies"),
        "Layer",
        requirements_file=FIXTURES / "requirements" / "six-1.17.0.txt",
        platform=LayerPlatform.HOST,
        cache_dir=tmp_path / "layers",
    )
    built = [path for path in (tmp_path / "layers" / layer.asset_hash).rglob("*") if path.is_file()]
    cached = {(path.stat().st_dev, path.stat().st_ino) for path in cache.rglob("*") if path.is_file()}

    assert any(path.name == "six.py" for path in built)
    assert cached
    assert [path for path in built if (path.stat().st_dev, path.stat().st_ino) in cached] == []


def test_building_without_uv_fails_synth_saying_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A reuser whose synthesizing environment lacks uv: neither beside the interpreter nor on PATH."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(sysconfig, "get_path", lambda _name: str(empty))
    monkeypatch.setenv("PATH", str(empty))
    stack = Stack(App(outdir=str(tmp_path / "out")), "NoUv")

    with pytest.raises(RuntimeError, match=r"uv is needed to build the layer.*`pip install uv`"):
        DependencyLayer(stack, "Layer", requirements_file=FIXTURES / "requirements" / "six-1.17.0.txt")


def without_asset_paths(template: dict[str, Any]) -> Any:
    """The normalised template minus where assets were staged (unbundled synthesis records the source)."""
    normalised = normalise(template)
    for resource in normalised["Resources"].values():
        resource.get("Metadata", {}).pop("aws:asset:path", None)
    return normalised


def test_the_host_layer_platform_changes_nothing_but_the_layer_asset(
    synthesized_app: SynthesizedApp, tmp_path: Path
):
    host = synthesize_app(tmp_path, **{LAYER_PLATFORM_CONTEXT_KEY: "host", "aws:cdk:bundling-stacks": []})

    for environment in ENVIRONMENTS:
        for kind in STACK_KINDS:
            lambda_template = synthesized_app.template_json(environment, kind)
            host_template = host.template_json(environment, kind)
            assert without_asset_paths(host_template) == without_asset_paths(lambda_template), (
                environment,
                kind,
            )
        layer_id = logical_id(synthesized_app.stages[environment].stateless.service.layer)
        keys = [
            app.template_json(environment, "Stateless")["Resources"][layer_id]["Properties"]["Content"][
                "S3Key"
            ]
            for app in (synthesized_app, host)
        ]
        assert keys[0] != keys[1]
