"""The construct library installs as a package: the wheel holds the library and no file of the items service.

The wheel is built with the pinned backend (hatchling, in requirements.txt) without network access,
unpacked, and imported from there by a fresh interpreter that does not see the repository.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import app as cdk_entry
from tests.support.cdk_synthesis import ROOT

PUBLIC_API = (
    "ApiFunction", "ApiUserPool", "ApplicationMetrics", "CanaryDeployment", "ColdStart", "CorsSettings",
    "DependencyLayer", "DeploymentChecks", "GitHubDeployRoles", "LayerPlatform", "LogLevel",
    "NotificationSettings", "PostTrafficCheck", "PropsError", "PythonApiService", "RollbackThresholds",
    "ServiceHttpApi", "ServiceMonitoring", "ServiceTable", "ThrottleSettings", "TrafficShift",
    "TrafficShifting",
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


LIBRARY = ("cdk_app/__init__.py", "cdk_app/bundling.py", "cdk_app/scanner_acknowledgements.py",
           "cdk_app/sdk_models.py", "cdk_app/constructs/", "cdk_app/functions/")  # fmt: skip
"""The library's files; everything else under ``cdk_app`` is the items service's."""


def test_the_wheel_holds_the_library_and_nothing_of_the_service(wheel: Path) -> None:
    names = {name for name in zipfile.ZipFile(wheel).namelist() if not name.startswith("serverless_fastapi")}
    sources = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "cdk_app").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    library = {name for name in sources if name.startswith(LIBRARY)}

    assert names == library
    assert {"cdk_app/service.py", "cdk_app/config.py", "cdk_app/items_round_trip.py"} <= sources - names


def test_the_library_imports_nothing_of_the_service() -> None:
    service_modules = {"runtime", "cdk_app.config", "cdk_app.service", "cdk_app.stacks", "cdk_app.stage",
                       "cdk_app.delivery", "cdk_app.items_round_trip"}  # fmt: skip
    for path in (ROOT / "cdk_app").rglob("*.py"):
        if not path.relative_to(ROOT).as_posix().startswith(LIBRARY):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            modules = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            for module in modules:
                assert not any(module == m or module.startswith(f"{m}.") for m in service_modules), (
                    path,
                    module,
                )


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
    """A project with its own top-level ``runtime`` package (first on ``sys.path``) imports every module of
    the library, which never imports a ``runtime``; the project's ``runtime`` stays its own."""
    (tmp_path / "runtime").mkdir()
    (tmp_path / "runtime" / "__init__.py").write_text("OWN = True\n")
    script = (
        "import runtime, sys, cdk_app.constructs, cdk_app.constructs.python_api_service\n"
        "assert runtime.OWN\n"
        "assert not [m for m in sys.modules if m.startswith('runtime.')], sorted(sys.modules)\n"
    )

    completed = run_from_the_wheel(wheel, tmp_path, script)

    assert completed.returncode == 0, completed.stderr
