"""Re-resolve the pinned requirement sets from their `.in` files.

`runtime/requirements.txt` is resolved for Lambda (manylinux, CPython 3.13) so that the layer
bundler installs exactly what was locked; `requirements.txt` is resolved for the development
interpreter and includes the runtime set.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_PLATFORM = ["--platform", "manylinux2014_aarch64", "--platform", "manylinux2014_x86_64"]


def resolve(requirements_in: Path, *extra: str) -> list[str]:
    """Return sorted `name==version` pins that pip resolves for `requirements_in`."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",
            "--report", str(report), "-r", str(requirements_in), *extra,
        ]  # fmt: skip
        subprocess.run(command, check=True, cwd=requirements_in.parent)  # noqa: S603
        installed = json.loads(report.read_text())["install"]
    pins = {
        f"{item['metadata']['name'].lower().replace('_', '-')}=={item['metadata']['version']}"
        for item in installed
    }
    return sorted(pins)


def write(path: Path, header: str, pins: list[str]) -> None:
    path.write_text(f"# {header}\n" + "".join(f"{pin}\n" for pin in pins))
    print(f"wrote {path.relative_to(ROOT)} ({len(pins)} pins)")


def main() -> None:
    runtime_pins = resolve(
        ROOT / "runtime" / "requirements.in",
        *LAMBDA_PLATFORM, "--only-binary=:all:", "--python-version", "3.13", "--implementation", "cp",
        "--target", tempfile.gettempdir(),
    )  # fmt: skip
    write(
        ROOT / "runtime" / "requirements.txt",
        "Full pinned set resolved from requirements.in for Lambda: Python 3.13, manylinux (make lock).",
        runtime_pins,
    )
    write(
        ROOT / "tools" / "scan" / "requirements.txt",
        "Full pinned set resolved from requirements.in for the scanners' own venv (make lock).",
        resolve(ROOT / "tools" / "scan" / "requirements.in"),
    )
    write(
        ROOT / "requirements.txt",
        "Full pinned set resolved from requirements.in for Python 3.13 (make lock).",
        resolve(ROOT / "requirements.in"),
    )


if __name__ == "__main__":
    main()
