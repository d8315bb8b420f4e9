"""The construct library installs as a package: the wheel holds ``cdk_app`` only (the contract inside).

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
    "ApiFunction", "ApiUserPool", "CanaryDeployment", "DependencyLayer", "GitHubDeployRoles",
    "LayerPlatform", "RollbackThresholds", "ServiceHttpApi", "ServiceMonitoring", "ServiceTable",
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
    assert (
        zipfile.ZipFile(wheel).read("cdk_app/_runtime_contract.py")
        == (ROOT / "runtime" / "contract.py").read_bytes()
    )
    assert not {name for name in names if not name.startswith(("cdk_app/", "serverless_fastapi_cdk-"))}


def test_the_wheel_declares_its_dependencies(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name).decode()

    requires = {
        line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ")
    }
    assert requires == {
        "aws-cdk-lib<3,>=2.275.0",
        "constructs<11,>=10.8.1",
        "jsii<2,>=1.142.0",
        "uv<1,>=0.13",
    }
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
        "assert u.find_spec('runtime') is None\n"
        "print(api.__file__)\n"
    )
    completed = run_from_the_wheel(wheel, tmp_path, script)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == str(tmp_path / "site" / "cdk_app" / "constructs" / "__init__.py")


def test_a_consumers_own_runtime_package_does_not_clash(wheel: Path, tmp_path: Path) -> None:
    """A project with its own top-level ``runtime`` package (first on ``sys.path``) uses the constructs,
    which read the contract shipped inside ``cdk_app``; the project's ``runtime`` stays its own."""
    (tmp_path / "runtime").mkdir()
    (tmp_path / "runtime" / "__init__.py").write_text("OWN = True\n")
    script = (
        "import runtime, cdk_app.constructs\n"
        "from cdk_app.contract import contract\n"
        "assert runtime.OWN and contract.__name__ == 'cdk_app._runtime_contract', contract\n"
    )

    completed = run_from_the_wheel(wheel, tmp_path, script)

    assert completed.returncode == 0, completed.stderr


def test_the_source_tree_reads_the_runtimes_own_contract() -> None:
    """In this repository the constructs and the runtime share one module object (tests patch it)."""
    from cdk_app.contract import contract
    from runtime import contract as runtime_contract

    assert contract is runtime_contract
