"""The construct library installs as a package: the wheel holds ``cdk_app`` and ``runtime.contract`` only.

The wheel is built with the pinned backend (hatchling, in requirements.txt) without network access,
unpacked, and imported from there by a fresh interpreter that does not see the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import app as cdk_entry
from tests.support.cdk_synthesis import ROOT

PUBLIC_API = (
    "ApiFunction", "ApiUserPool", "CanaryDeployment", "DependencyLayer", "LayerPlatform",
    "RollbackThresholds", "ServiceHttpApi", "ServiceMonitoring", "ServiceTable",
)  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("wheel")
    subprocess.run(  # noqa: S603
        [
            sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
            "--no-index", "--wheel-dir", str(outdir), str(ROOT),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (built,) = outdir.glob("*.whl")
    return built


def test_the_wheel_holds_the_library_and_the_shared_contract_only(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    library = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "cdk_app").rglob("*.py")
        if "__pycache__" not in path.parts
    }

    assert library <= names
    assert {name for name in names if name.startswith("runtime/")} == {
        "runtime/__init__.py",
        "runtime/contract.py",
    }
    assert not {
        name for name in names if not name.startswith(("cdk_app/", "runtime/", "serverless_fastapi_cdk-"))
    }


def test_the_wheel_declares_its_dependencies(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name).decode()

    requires = {
        line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ")
    }
    assert requires == {"aws-cdk-lib<3,>=2.275.0", "constructs<11,>=10.8.1", "jsii<2,>=1.142.0"}
    assert "Name: serverless-fastapi-cdk" in metadata


def test_the_wheel_version_is_the_one_the_function_reports(wheel: Path) -> None:
    """The release a platform team installs and the ``APP_VERSION`` the deployed function reports agree
    (both come from pyproject.toml; a version the build backend normalises would differ here)."""
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        version = [
            line.split(": ", 1)[1]
            for line in archive.read(metadata_name).decode().splitlines()
            if line.startswith("Version: ")
        ]

    assert version == [cdk_entry.project_version()]
    assert wheel.name.startswith(f"serverless_fastapi_cdk-{cdk_entry.project_version()}-")


def run_from_the_wheel(wheel: Path, workdir: Path, script: str) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh interpreter started in ``workdir`` that sees the unpacked wheel, not this
    repository."""
    site = workdir / "site"
    zipfile.ZipFile(wheel).extractall(site)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_the_public_api_imports_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    script = (
        "import cdk_app.constructs as api, importlib.util as u\n"
        f"missing = [name for name in {PUBLIC_API!r} if not hasattr(api, name)]\n"
        "assert not missing, missing\n"
        "assert sorted(api.__all__) == sorted(" + repr(PUBLIC_API) + ")\n"
        "assert u.find_spec('runtime.main') is None\n"
        "print(api.__file__)\n"
    )
    completed = run_from_the_wheel(wheel, tmp_path, script)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == str(tmp_path / "site" / "cdk_app" / "constructs" / "__init__.py")


def test_a_consumers_own_runtime_package_clashes_as_docs_constructs_md_warns(
    wheel: Path, tmp_path: Path
) -> None:
    """The install notes' limitation: the wheel's top-level ``runtime`` and a project's own collide.

    A script run from the project's folder sees the project's ``runtime`` first, which has no
    ``contract``: the constructs cannot import. Once the contract ships inside ``cdk_app``, this fails
    and the note goes.
    """
    (tmp_path / "runtime").mkdir()
    (tmp_path / "runtime" / "__init__.py").write_text('"""A service\'s own runtime package."""\n')

    completed = run_from_the_wheel(wheel, tmp_path, "import cdk_app.constructs\n")

    assert completed.returncode == 1
    assert "cannot import name 'contract' from 'runtime'" in completed.stderr
    assert (
        "Limitation: the wheel installs a top-level `runtime` package"
        in (ROOT / "docs" / "constructs.md").read_text()
    )
