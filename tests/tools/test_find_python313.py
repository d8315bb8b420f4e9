"""tools/find_python313.sh: which interpreter the Makefile builds the venvs with, or what to install.

Each case runs the script with a PATH made for it (a folder of links to the few tools it uses),
so the machine's own interpreters and pyenv stay out of sight. The working 3.13 is the one running
these tests (``sys.executable`` resolved past the venv); ``pyenv`` is a stub script answering
``pyenv versions --bare`` and ``pyenv prefix <version>`` as a pyenv with those versions installed does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "find_python313.sh"
TOOLS = ("cat", "grep", "sort", "tail")
"""What the script runs besides bash builtins and the interpreters it probes."""

REAL_PYTHON = Path(sys.executable).resolve()
BASH = shutil.which("bash") or "/bin/bash"


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A PATH entry with the tools the script needs and no Python, no pyenv."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found is not None, tool
        (folder / tool).symlink_to(found)
    return folder


def executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


def run(path: list[Path], **variables: str) -> subprocess.CompletedProcess[str]:
    environ = {"PATH": os.pathsep.join(str(folder) for folder in path), **variables}
    return subprocess.run(  # noqa: S603
        [BASH, str(SCRIPT)], capture_output=True, text=True, env=environ, check=False
    )


def test_without_any_313_it_fails_naming_every_way_to_get_one(bin_dir: Path) -> None:
    result = run([bin_dir])

    assert result.returncode == 1
    assert result.stdout == ""
    assert "Python 3.13 is required" in result.stderr
    for way in ("pyenv install 3.13", "apt-get install python3.13", "brew install python@3.13", "PYTHON="):
        assert way in result.stderr, way


def test_python_names_the_interpreter(bin_dir: Path) -> None:
    result = run([bin_dir], PYTHON=str(REAL_PYTHON))

    assert (result.returncode, result.stdout) == (0, f"{REAL_PYTHON}\n")


def test_a_python_that_is_not_313_is_passed_over(bin_dir: Path, tmp_path: Path) -> None:
    other = executable(tmp_path / "python3.12", "#!/bin/sh\nexit 1\n")
    (bin_dir / "python3.13").symlink_to(REAL_PYTHON)

    result = run([bin_dir], PYTHON=str(other))

    assert (result.returncode, result.stdout) == (0, f"{bin_dir / 'python3.13'}\n")


def test_a_broken_python313_shim_is_skipped_for_pyenvs_newest_313(bin_dir: Path, tmp_path: Path) -> None:
    """A pyenv shim whose version is not selected fails when run; the script asks pyenv instead."""
    shims = tmp_path / "shims"
    shims.mkdir()
    executable(shims / "python3.13", "#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n")
    versions = tmp_path / "versions"
    (versions / "3.13.10" / "bin").mkdir(parents=True)
    (versions / "3.13.10" / "bin" / "python3.13").symlink_to(REAL_PYTHON)
    executable(
        bin_dir / "pyenv",
        "#!/bin/sh\n"
        'if [ "$1 $2" = "versions --bare" ]; then printf "3.12.8\\n3.13.9\\n3.13.10\\n"; exit 0; fi\n'
        f'if [ "$1 $2" = "prefix 3.13.10" ]; then echo "{versions}/3.13.10"; exit 0; fi\n'
        "echo \"pyenv: version '$2' not installed\" >&2; exit 1\n",
    )

    result = run([shims, bin_dir])

    assert (result.returncode, result.stdout) == (0, f"{versions}/3.13.10/bin/python3.13\n")


def test_a_broken_python313_shim_without_pyenv_is_not_printed(bin_dir: Path, tmp_path: Path) -> None:
    executable(bin_dir / "python3.13", "#!/bin/sh\nexit 127\n")

    result = run([bin_dir])

    assert (result.returncode, result.stdout) == (1, "")
    assert "Python 3.13 is required" in result.stderr
