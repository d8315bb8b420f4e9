"""Runtime and architecture are props: each pair ships bytecode its Python version loads, compiled by that
version (found on this machine), or synth fails saying what to install."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_
from synth_support import FIXTURES, LIBRARY

from serverless_fastapi_cdk.api_function import ApiFunction
from serverless_fastapi_cdk.bundling import BundlingError, require_interpreter
from serverless_fastapi_cdk.dependency_layer import DependencyLayer

pytestmark = pytest.mark.synth

RUNTIMES = {"3.12": lambda_.Runtime.PYTHON_3_12, "3.13": lambda_.Runtime.PYTHON_3_13}
ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}


def magic_of(python: str) -> bytes:
    return subprocess.run(  # noqa: S603
        [python, "-c", "import importlib.util, sys; sys.stdout.buffer.write(importlib.util.MAGIC_NUMBER)"],
        capture_output=True,
        check=True,
    ).stdout


def asset_dir(outdir: Path, resource: dict[str, Any]) -> Path:
    return outdir / str(resource["Metadata"]["aws:asset:path"])


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
@pytest.mark.parametrize("version", sorted(RUNTIMES))
def test_each_runtime_and_architecture_ships_bytecode_of_its_python(
    version: str, architecture: str, tmp_path
):
    runtime, arch = RUNTIMES[version], ARCHITECTURES[architecture]
    app = App(outdir=str(tmp_path), context={"aws:cdk:enable-asset-metadata": True})
    stack = Stack(app, "Runtimes")
    layer = DependencyLayer(
        stack,
        "Deps",
        requirements_file=FIXTURES / "requirements" / "six-1.17.0.txt",
        runtime=runtime,
        architecture=arch,
        cache_dir=LIBRARY / "build" / "layers",
    )
    ApiFunction(
        stack,
        "Fn",
        package_dir=FIXTURES / "tiny_service",
        handler="tiny_service.orders.handle",
        service_name="orders",
        metrics_namespace="Orders",
        aws_services=("DynamoDB",),
        environment_contents="names only",
        layers=[layer.layer],
        runtime=runtime,
        architecture=arch,
    )
    template = app.synth().get_stack_by_name("Runtimes").template
    expected = magic_of(require_interpreter(version))

    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            assert resource["Properties"]["Runtime"] == f"python{version}"
            assert resource["Properties"]["Architectures"] == [arch.name]
        if resource["Type"] in ("AWS::Lambda::Function", "AWS::Lambda::LayerVersion"):
            pycs = sorted(asset_dir(tmp_path, resource).rglob("*.pyc"))
            assert pycs
            assert {pyc.read_bytes()[:4] for pyc in pycs} == {expected}
            assert all(f".cpython-{version.replace('.', '')}." in pyc.name for pyc in pycs)


def test_a_runtime_whose_python_is_not_installed_fails_synth_saying_what_to_install():
    try:
        require_interpreter("3.14")
    except BundlingError:
        pass
    else:
        pytest.skip("Python 3.14 is installed on this machine")
    with pytest.raises(
        BundlingError, match=r"no Python 3\.14 is installed here: install one \(`uv python install"
    ):
        ApiFunction(
            Stack(App(), "Py314"),
            "Fn",
            package_dir=FIXTURES / "tiny_service",
            handler="tiny_service.orders.handle",
            service_name="orders",
            metrics_namespace="Orders",
            aws_services=("DynamoDB",),
            environment_contents="names only",
            runtime=lambda_.Runtime.PYTHON_3_14,
        )
