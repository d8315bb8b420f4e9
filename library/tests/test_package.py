"""The construct library installs as a package: the wheel holds the library and nothing of the project.

The wheel is built with the pinned backend (hatchling, in requirements.txt) without network access,
unpacked, and imported from there by a fresh interpreter that does not see the repository.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from synth_support import LIBRARY

PUBLIC_API = (
    "ApiDomain",
    "ApiFunction",
    "ApiSettings",
    "ApiUserPool",
    "ApplicationMetrics",
    "CanaryDeployment",
    "ColdStart",
    "ColdStartWatch",
    "CorsSettings",
    "CustomDomain",
    "DeliverySettings",
    "DependencyLayer",
    "DeploymentChecks",
    "EdgeProtection",
    "EdgeSettings",
    "FunctionSettings",
    "GitHubDeployRoles",
    "HostedZoneRef",
    "LayerPlatform",
    "LogLevel",
    "LogSettings",
    "MachineClientSettings",
    "MonitoringSettings",
    "NotificationSettings",
    "PostTrafficCheck",
    "PropsError",
    "PythonApiService",
    "RollbackThresholds",
    "ServiceCode",
    "ServiceHttpApi",
    "ServiceMonitoring",
    "ServiceTable",
    "TableAccess",
    "ThrottleSettings",
    "TrafficShift",
    "TrafficShifting",
    "UnitPrices",
)
SOURCES = LIBRARY / "src"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("wheel")
    subprocess.run(  # noqa: S603
        [
            sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
            "--no-index", "--wheel-dir", str(outdir), str(LIBRARY),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (built,) = outdir.glob("*.whl")
    return built


def test_the_wheel_holds_the_package_and_nothing_else(wheel: Path) -> None:
    names = {name for name in zipfile.ZipFile(wheel).namelist() if ".dist-info/" not in name}
    sources = {
        path.relative_to(SOURCES).as_posix()
        for path in SOURCES.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }

    assert names == sources
    assert {"serverless_fastapi_cdk/py.typed", "serverless_fastapi_cdk/hooks/pre_traffic.py"} <= names


def test_the_library_imports_nothing_of_the_project_that_develops_it() -> None:
    project_modules = {"runtime", "cdk_app", "tools", "tests", "benchmarks", "app"}
    for path in SOURCES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            for module in modules:
                assert module.split(".")[0] not in project_modules, (path, module)


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
        "cdk-nag<4,>=3.0.2; extra == 'nag'",
        "anyio<5,>=4.4; extra == 'toolkit'",
        "boto3<2,>=1.35; extra == 'toolkit'",
        "copier==9.19.1; extra == 'toolkit'",
        "cryptography>=43; extra == 'toolkit'",
        "flask<4,>=3.0; extra == 'toolkit'",
        "flask-cors<7,>=5.0; extra == 'toolkit'",
        "httpx<1,>=0.28; extra == 'toolkit'",
        "moto[dynamodb,ssm]<6,>=5.1; extra == 'toolkit'",
        "pyjwt<3,>=2.9; extra == 'toolkit'",
        "uvicorn<1,>=0.30; extra == 'toolkit'",
    }
    assert "Name: serverless-fastapi-cdk" in metadata


def test_the_wheel_carries_the_librarys_own_version(wheel: Path) -> None:
    """The release is the library's (library/pyproject.toml, also ``__version__``), not the service's."""
    version = tomllib.loads((LIBRARY / "pyproject.toml").read_text())["project"]["version"]
    init = (SOURCES / "serverless_fastapi_cdk" / "__init__.py").read_text()

    assert wheel.name.startswith(f"serverless_fastapi_cdk-{version}-")
    assert f'__version__ = "{version}"' in init


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
        "import serverless_fastapi_cdk as api, importlib.util as u\n"
        f"missing = [name for name in {PUBLIC_API!r} if not hasattr(api, name)]\n"
        "assert not missing, missing\n"
        "assert sorted(api.__all__) == sorted(" + repr(PUBLIC_API) + ")\n"
        "assert u.find_spec('runtime') is None\n"
        "print(api.__file__)\n"
    )
    completed = run_from_the_wheel(wheel, tmp_path, script)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == str(tmp_path / "site" / "serverless_fastapi_cdk" / "__init__.py")


def test_importing_the_package_imports_no_cdk(wheel: Path, tmp_path: Path) -> None:
    """A Lambda function imports ``serverless_fastapi_cdk.hooks`` (and the runtime half) where no CDK is
    installed: the package's ``__init__`` loads the constructs only when one is named."""
    script = (
        "import sys, serverless_fastapi_cdk, serverless_fastapi_cdk.hooks.probe\n"
        "assert not [m for m in sys.modules if m.startswith(('aws_cdk', 'jsii', 'constructs'))]\n"
    )

    completed = run_from_the_wheel(wheel, tmp_path, script)

    assert completed.returncode == 0, completed.stderr


def test_a_consumers_own_cdk_app_and_runtime_packages_do_not_clash(wheel: Path, tmp_path: Path) -> None:
    """A project with its own top-level ``cdk_app`` and ``runtime`` packages (first on ``sys.path``) imports
    every module of the library, which imports neither; the project's packages stay its own."""
    for own in ("runtime", "cdk_app"):
        (tmp_path / own).mkdir()
        (tmp_path / own / "__init__.py").write_text("OWN = True\n")
    script = (
        "import cdk_app, runtime, sys, serverless_fastapi_cdk, serverless_fastapi_cdk.python_api_service\n"
        "assert runtime.OWN and cdk_app.OWN\n"
        "assert not [m for m in sys.modules if m.startswith('runtime.')], sorted(sys.modules)\n"
    )

    completed = run_from_the_wheel(wheel, tmp_path, script)

    assert completed.returncode == 0, completed.stderr
