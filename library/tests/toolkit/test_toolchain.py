"""Finding the CDK CLI and its Node: configured, then PATH, then the project's npm install; else a message."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from serverless_fastapi_cdk.toolkit.toolchain import PrerequisiteError, Toolchain


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def empty_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


def test_a_missing_cli_says_how_to_install_or_configure_it(tmp_path: Path, empty_path: Path) -> None:
    with pytest.raises(
        PrerequisiteError, match=r"CDK CLI \(cdk\) is not on PATH.*npm install aws-cdk@2.*cdk-cli"
    ):
        Toolchain.find(tmp_path)


def test_a_missing_node_says_how_to_install_or_configure_it(tmp_path: Path, empty_path: Path) -> None:
    _executable(empty_path / "cdk")
    with pytest.raises(PrerequisiteError, match=r"Node\.js \(node\).*not on PATH.*\[tool\.sfcdk\]"):
        Toolchain.find(tmp_path)


def test_path_comes_before_the_projects_npm_install(tmp_path: Path, empty_path: Path) -> None:
    on_path = _executable(empty_path / "cdk")
    _executable(empty_path / "node")
    _executable(tmp_path / "node_modules" / ".bin" / "cdk")
    assert Toolchain.find(tmp_path).cdk == on_path


def test_the_projects_npm_install_and_the_node_beside_it(tmp_path: Path, empty_path: Path) -> None:
    local = tmp_path / "node_modules" / ".bin"
    cdk, node = _executable(local / "cdk"), _executable(local / "node")
    _executable(empty_path / "node")
    toolchain = Toolchain.find(tmp_path)
    assert (toolchain.cdk, toolchain.node) == (cdk, node)
    environment = toolchain.environment()
    assert environment["JSII_NODE"] == str(node)
    assert environment["PATH"].split(os.pathsep)[0] == str(local)


def test_configured_paths_are_relative_to_the_project_and_must_exist(
    tmp_path: Path, empty_path: Path
) -> None:
    cdk = _executable(tmp_path / "tools" / "cdk")
    node = _executable(tmp_path / "tools" / "node")
    toolchain = Toolchain.find(tmp_path, cdk_cli="tools/cdk", node="tools/node")
    assert (toolchain.cdk, toolchain.node) == (cdk, node)
    with pytest.raises(PrerequisiteError, match=r"the CDK CLI .*/nowhere/cdk does not exist"):
        Toolchain.find(tmp_path, cdk_cli="nowhere/cdk")
