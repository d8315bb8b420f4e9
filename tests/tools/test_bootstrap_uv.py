"""The uv that installs everything is the hash-locked one, even when a uv of that version is on PATH.

The Makefile's rule for ``.uv/bin/uv`` runs in a scratch copy of the files it reads, with a PATH whose
first ``uv`` is an impostor reporting the pinned version: the rule must install the pinned wheel with
``pip --require-hashes`` (from PyPI or pip's cache) and never link or run the impostor.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PINNED = re.search(
    r"^uv==(\S+)", (ROOT / "tools" / "bootstrap" / "requirements.txt").read_text(), re.MULTILINE
)


def test_a_uv_on_path_of_the_pinned_version_is_not_trusted(tmp_path: Path) -> None:
    assert PINNED is not None
    version = PINNED.group(1)
    checkout = tmp_path / "checkout"
    for relative in ("Makefile", "tools/bootstrap/requirements.txt", "tools/find_python313.sh"):
        (checkout / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, checkout / relative)
    impostor_dir = tmp_path / "impostor"
    impostor_dir.mkdir()
    witness = tmp_path / "impostor-ran"
    impostor = impostor_dir / "uv"
    impostor.write_text(f"#!/bin/sh\ntouch {witness}\necho 'uv {version}'\n")
    impostor.chmod(0o755)
    python_dir = Path(sys.executable).resolve().parent
    environ = {
        **os.environ,
        "PATH": f"{impostor_dir}{os.pathsep}{python_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "PYTHON": str(Path(sys.executable).resolve()),
    }

    completed = subprocess.run(  # noqa: S603 - the project's own Makefile rule
        ["make", "--no-print-directory", f"{checkout}/.uv/bin/uv"],  # noqa: S607
        cwd=checkout,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    installed = checkout / ".uv" / "bin" / "uv"
    assert not installed.is_symlink()
    assert not witness.exists(), "the uv found on PATH was run"
    reported = subprocess.run([installed, "--version"], capture_output=True, text=True, check=True)  # noqa: S603
    assert reported.stdout.split()[1] == version
