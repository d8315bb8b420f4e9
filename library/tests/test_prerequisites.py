"""The Node jsii starts is checked, with one line that says what to use instead."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from synth_support import LIBRARY

from serverless_fastapi_cdk.prerequisites import CDK_CLI_VERSION, node_problem


def fake_node(tmp_path: Path, version: str) -> Path:
    node = tmp_path / "node"
    node.write_text(f"#!/bin/sh\necho {version}\n")
    node.chmod(node.stat().st_mode | stat.S_IXUSR)
    return node


@pytest.mark.parametrize("version", ["v22.11.0", "v24.21.0"])
def test_a_supported_node_passes(tmp_path: Path, version: str):
    assert node_problem({"JSII_NODE": str(fake_node(tmp_path, version))}) is None


@pytest.mark.parametrize("version", ["v20.20.2", "v18.19.0", "v25.0.0"])
def test_an_unsupported_node_gets_one_line_saying_what_to_use(tmp_path: Path, version: str):
    problem = node_problem({"JSII_NODE": str(fake_node(tmp_path, version))})

    assert problem is not None
    assert "\n" not in problem
    assert f"Node {version} at" in problem
    assert "use Node 22.x or 24.x" in problem


def test_no_node_at_all_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path))

    assert node_problem({}) == (
        "serverless-fastapi-cdk: no Node.js found for jsii: install Node 22.x or 24.x or set JSII_NODE"
    )


def test_the_stated_cli_version_is_the_one_this_repository_pins():
    pins = LIBRARY.parent / "package.json"
    if not pins.is_file():
        pytest.skip("run outside the repository that develops the library")
    package = json.loads(pins.read_text())

    assert package["devDependencies"]["aws-cdk"] == CDK_CLI_VERSION
