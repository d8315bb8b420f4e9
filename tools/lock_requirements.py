"""Compile the hash-locked requirement sets from their `.in` files with uv (`make lock`).

Each lock is resolved for the platform that installs it, with the hashes of every file of each pinned
version, so `--require-hashes` installs verify everything they download:

- `runtime/requirements.txt`: the dependency layer's input, resolved for Lambda alone (arm64
  manylinux2014, CPython 3.13, wheels only), so it never picks a version without an arm64 wheel;
- `tools/bootstrap/requirements.txt`: the pinned uv the Makefile installs with pip when absent;
- `requirements.txt`: the development venv, resolved for Python 3.13 on every platform and constrained
  by the two locks above, so the versions tested are the versions deployed and the uv used is the one
  bootstrapped;
- `tools/scan/requirements.txt`: the IaC scanners' own venv.

uv prefers the versions already pinned in an output file: a re-lock changes only what the `.in` files
ask for, unless `--upgrade` or `--upgrade-package` says otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON_VERSION = "3.13"
LAMBDA_PLATFORM = "aarch64-manylinux2014"
"""uv's name of the platform the layer's wheels are for (what `DependencyLayer` installs for ARM_64)."""


@dataclass(frozen=True)
class Lock:
    """One lock file: where it comes from, which platform it is resolved for, what constrains it."""

    source: str
    """The `.in` file, relative to the repository root."""
    output: str
    """The lock written beside it."""
    platform: tuple[str, ...]
    """uv's platform selection: `--python-platform ...` or `--universal`."""
    constraints: tuple[str, ...] = ()
    """Other locks whose pins this one must keep."""


RUNTIME = Lock(
    "runtime/requirements.in",
    "runtime/requirements.txt",
    ("--python-platform", LAMBDA_PLATFORM, "--only-binary", ":all:"),
)
BOOTSTRAP = Lock("tools/bootstrap/requirements.in", "tools/bootstrap/requirements.txt", ("--universal",))
DEVELOPMENT = Lock(
    "requirements.in", "requirements.txt", ("--universal",), constraints=(RUNTIME.output, BOOTSTRAP.output)
)
SCANNERS = Lock("tools/scan/requirements.in", "tools/scan/requirements.txt", ("--universal",))
LOCKS = (RUNTIME, BOOTSTRAP, DEVELOPMENT, SCANNERS)
"""In dependency order: a lock comes after those that constrain it."""


def find_uv() -> str:
    """The uv of this environment (the pinned one in the dev venv), else the one on PATH."""
    found = shutil.which("uv", path=sysconfig.get_path("scripts")) or shutil.which("uv")
    if found is None:
        raise SystemExit("error: uv not found: run `make setup` (it installs the pinned uv)")
    return found


def compile_command(uv: str, lock: Lock, *, options: Sequence[str] = ()) -> list[str]:
    """The `uv pip compile` argv that writes ``lock`` (run from the repository root)."""
    constraints = [argument for path in lock.constraints for argument in ("--constraint", path)]
    return [
        uv, "pip", "compile", "--quiet", "--generate-hashes",
        "--custom-compile-command", "make lock", "--python-version", PYTHON_VERSION,
        *lock.platform, *constraints, *options, lock.source, "--output-file", lock.output,
    ]  # fmt: skip


def compile_locks(root: Path, locks: Sequence[Lock], *, uv: str, options: Sequence[str] = ()) -> None:
    """Write every lock of ``locks`` under ``root``, in order; the first failure stops the run."""
    for lock in locks:
        subprocess.run(compile_command(uv, lock, options=options), cwd=root, check=True)  # noqa: S603
        print(f"wrote {lock.output}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="re-resolve every pin to its newest version")
    parser.add_argument(
        "--upgrade-package", action="append", default=[], metavar="NAME", help="re-resolve NAME only"
    )
    arguments = parser.parse_args(argv)
    options = ["--upgrade"] if arguments.upgrade else []
    for name in arguments.upgrade_package:
        options += ["--upgrade-package", name]
    compile_locks(ROOT, LOCKS, uv=find_uv(), options=options)


if __name__ == "__main__":
    main()
