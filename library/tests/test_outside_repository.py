"""Proof from outside: the built wheel serves a repository that is not this one.

The library's wheel is built and installed, with its ``nag`` extra and pytest, into a fresh virtualenv;
``fixtures/outside_repository`` is copied to a temporary folder, a repository whose own CDK package is
named ``cdk_app`` (as this project's is). Its app synthesizes two services, one with a table and one
without, with cdk-nag's AwsSolutions and Serverless packs (an unacknowledged finding fails synthesis), and
its own unit tests pass with both packages importable. Installing resolves against the package index or
uv's warm cache, as building a dependency layer does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from synth_support import FIXTURES, LIBRARY

from serverless_fastapi_cdk.bundling import _uv_binary

pytestmark = pytest.mark.synth

CONSTRAINTS = LIBRARY.parent / "requirements.txt"
"""This project's lock: the fresh venv gets the versions tested here (no hash is required of it)."""


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        command, cwd=cwd, capture_output=True, text=True, check=False, timeout=900, env={**os.environ, **env}
    )


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The outside repository and the python of its fresh venv, the library's wheel installed."""
    root = tmp_path_factory.mktemp("outside")
    wheels = root / "dist"
    built = run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", str(wheels), str(LIBRARY)],
        root,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("serverless_fastapi_cdk-*.whl")
    uv = _uv_binary()
    assert uv is not None
    venv = root / "venv"
    created = run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], root)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    installed = run(
        [uv, "pip", "install", "--quiet", "--python", str(python), "--constraint", str(CONSTRAINTS),
         f"{wheel}[nag]", "pytest"],
        root,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    repository = root / "repository"
    shutil.copytree(FIXTURES / "outside_repository", repository)
    return repository, python


def test_its_app_synthesizes_both_services_cdk_nag_clean(repository: tuple[Path, Path]):
    root, python = repository

    synthesized = run(
        [str(python), "app.py"], root, CDK_OUTDIR=str(root / "cdk.out")
    )  # as `cdk synth` sets it

    assert synthesized.returncode == 0, synthesized.stderr[-3000:]
    templates = {
        path.name: json.loads(path.read_text()) for path in (root / "cdk.out").glob("*.template.json")
    }
    assert sorted(templates) == ["Orders.template.json", "Quotes.template.json"]
    types = {name: {r["Type"] for r in t["Resources"].values()} for name, t in templates.items()}
    assert "AWS::DynamoDB::GlobalTable" in types["Orders.template.json"]
    assert "AWS::DynamoDB::GlobalTable" not in types["Quotes.template.json"]
    assert "AwsSolutions-" not in synthesized.stderr


def test_its_own_unit_tests_pass_with_both_packages_importable(repository: tuple[Path, Path]):
    root, python = repository

    tested = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], root)

    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]
    assert "4 passed" in tested.stdout


def test_the_venv_holds_the_wheel_not_this_repository(repository: tuple[Path, Path]):
    root, python = repository

    located = run([str(python), "-c", "import serverless_fastapi_cdk as s; print(s.__file__)"], root)

    assert located.returncode == 0, located.stderr
    assert "site-packages" in located.stdout
    assert str(LIBRARY) not in located.stdout
