"""``sfcdk update``: a repository written by ``sfcdk new`` takes the template's later change, keeping its own.

The newer library is this checkout's template with one more README line, under version 1.0.1; the version that
wrote the repository is a wheel built here from this checkout. copier and git run for real.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest
from uv import find_uv_bin

from serverless_fastapi_cdk.toolkit import scaffold

LIBRARY = Path(__file__).resolve().parents[2]
NEW_LINE = "Updated by the template of 1.0.1."

pytestmark = [pytest.mark.slow]


def _git(repository: Path, *arguments: str) -> None:
    subprocess.run(  # noqa: S603
        ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *arguments],  # noqa: S607
        cwd=repository,
        check=True,
        capture_output=True,
    )


def test_update_brings_the_templates_change_and_keeps_the_repositorys_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scaffold, "template_cache", lambda: tmp_path / "cache" / "template")
    wheels = tmp_path / "dist"
    subprocess.run(  # noqa: S603
        [str(find_uv_bin()), "build", "--quiet", "--wheel", "--out-dir", str(wheels), str(LIBRARY)],
        check=True,
    )
    (wheel,) = wheels.glob("*.whl")
    repository = tmp_path / "billing"
    arguments = argparse.Namespace(
        destination=repository, name=None, package=None, region=None, library=str(wheel), no_lock=True
    )
    assert scaffold.run(arguments) == 0
    config = repository / "infra" / "config.py"
    config.write_text(config.read_text().replace("memory_size=512", "memory_size=768"))
    _git(repository, "init", "--quiet")
    _git(repository, "add", "--all")
    _git(repository, "commit", "--quiet", "-m", "written by sfcdk new, then our own change")

    newer = tmp_path / "newer-template"
    shutil.copytree(scaffold.TEMPLATE, newer, ignore=shutil.ignore_patterns("__pycache__"))
    readme = newer / "README.md.jinja"
    readme.write_text(readme.read_text() + f"\n{NEW_LINE}\n")
    monkeypatch.setattr(scaffold, "TEMPLATE", newer)
    monkeypatch.setattr(scaffold, "library_version", lambda: "1.0.1")

    assert scaffold.update(repository, wheel) == 0

    assert NEW_LINE in (repository / "README.md").read_text()
    assert "memory_size=768" in config.read_text()
    assert "library_version: 1.0.1" in (repository / ".copier-answers.yml").read_text()
    assert not list(repository.rglob("*.rej"))
