"""Building blocks of the Docker-free asset bundlers: hashing inputs, compiling bytecode, copying trees.

Lambda mounts code and layers read-only, so Python cannot write ``__pycache__`` there: without
pre-compiled bytecode every cold start compiles every imported module again. Bytecode is only usable
by the exact Python minor version that wrote it, and file modification times do not survive the asset
zip, so the bundlers compile with the target interpreter and hash-based invalidation.
"""

from __future__ import annotations

import compileall
import hashlib
import os
import py_compile
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

DEFAULT_INVALIDATION_MODE = py_compile.PycInvalidationMode.UNCHECKED_HASH
"""Lambda code and layers are immutable, so the interpreter need not re-hash sources on import."""


class BundlingError(RuntimeError):
    """An asset could not be built; the message says what to change."""


def python_version_of(runtime_name: str) -> str:
    """``"python3.13"`` -> ``"3.13"``; anything else is not a Python runtime."""
    prefix = "python"
    version = runtime_name.removeprefix(prefix)
    if version == runtime_name or not version.replace(".", "").isdigit():
        raise BundlingError(f"{runtime_name!r} is not a Python Lambda runtime")
    return version


def require_interpreter(python_version: str) -> str:
    """The interpreter that writes bytecode the target Python version loads: this one when it is that
    version, else one installed on this machine (uv's, pyenv's or ``python3.X`` on PATH, never
    downloaded); a :class:`BundlingError` saying what to install when there is none."""
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running == python_version:
        return sys.executable
    found = _installed_interpreter(python_version)
    if found is None:
        raise BundlingError(
            f"bytecode for Python {python_version} must be compiled by Python {python_version}, "
            f"but synth runs on Python {running} ({sys.executable}) and no Python {python_version} is "
            f"installed here: install one (`uv python install {python_version}` or `pyenv install "
            f"{python_version}`, or put python{python_version} on PATH), or choose the runtime "
            f"python{running}; Lambda would otherwise compile every module at each cold start"
        )
    return found


def _installed_interpreter(python_version: str) -> str | None:
    candidates: list[str] = []
    uv = _uv_binary()
    lookups = [["pyenv", "prefix", python_version]]
    if uv is not None:
        lookups.insert(0, [uv, "python", "find", "--no-project", python_version])
    for command in lookups:
        try:
            completed = subprocess.run(  # noqa: S603 (fixed commands, no shell)
                command,
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
                env={**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_OFFLINE": "1"},
            )
        except OSError:
            continue
        found = completed.stdout.strip().splitlines()[:1]
        if completed.returncode == 0 and found:
            path = Path(found[0])
            candidates.append(str(path / "bin" / f"python{python_version}" if path.is_dir() else path))
    candidates += [shutil.which(f"python{python_version}") or ""]
    for candidate in filter(None, candidates):
        if _version_of(candidate) == python_version:
            return candidate
    return None


def _uv_binary() -> str | None:
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def _version_of(interpreter: str) -> str | None:
    try:
        completed = subprocess.run(  # noqa: S603 (an interpreter found above, fixed arguments)
            [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except OSError:
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def digest(parts: Iterable[bytes | str]) -> str:
    """SHA-256 over length-prefixed parts, so that no two different part lists collide by concatenation."""
    sha = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        sha.update(len(data).to_bytes(8, "big"))
        sha.update(data)
    return sha.hexdigest()


def compile_tree(
    root: Path,
    *,
    deployed_at: str,
    invalidation_mode: py_compile.PycInvalidationMode,
    python: str | None = None,
) -> None:
    """Compile every ``.py`` under ``root`` in place with ``python`` (default: this interpreter), recording
    ``deployed_at`` as the source location.

    Tracebacks in Lambda then name the real paths (``/opt/python/...``, ``/var/task/...``) and the
    bytecode does not depend on where the build ran.
    """
    if python is not None and python != sys.executable:
        mode = invalidation_mode.name.lower().replace("_", "-")
        completed = subprocess.run(  # noqa: S603 (the target interpreter, fixed arguments)
            [python, "-m", "compileall", "-q", "-j", "1", "-s", str(root), "-p", deployed_at,
             "--invalidation-mode", mode, str(root)],
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        if completed.returncode != 0:
            raise BundlingError(f"some Python files under {root} do not compile:\n{completed.stdout[-2000:]}")
        return
    ok = compileall.compile_dir(
        root,
        quiet=1,
        stripdir=str(root),
        prependdir=deployed_at,
        invalidation_mode=invalidation_mode,
        workers=1,
    )
    if not ok:
        raise BundlingError(f"some Python files under {root} do not compile (see the errors above)")


def package_sources(package_dir: Path) -> list[Path]:
    """The package's ``.py`` files, relative to its folder, in a stable order."""
    return sorted(
        path.relative_to(package_dir)
        for path in package_dir.rglob("*.py")
        if "__pycache__" not in path.relative_to(package_dir).parts
    )


def copy_package(package_dir: Path, output_dir: Path) -> None:
    """Copy the package's sources into ``output_dir/<package name>/``, as a code asset holds them."""
    destination = output_dir / package_dir.name
    for relative in package_sources(package_dir):
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(package_dir / relative, target)


RUNTIME_HALF_INIT = (
    b'"""The runtime half of serverless-fastapi-cdk, as a function\'s code asset carries it."""\n'
)
"""The package ``__init__`` of the runtime half in a code asset: the constructs are not deployed."""


def runtime_half_files() -> dict[str, bytes]:
    """``{path in the code asset: content}`` of the library's runtime half
    (``serverless_fastapi_cdk.runtime``), which the service imports and the alarms are built from."""
    runtime = Path(__file__).resolve().parent / "runtime"
    files = {"serverless_fastapi_cdk/__init__.py": RUNTIME_HALF_INIT}
    for relative in package_sources(runtime):
        files[f"serverless_fastapi_cdk/runtime/{relative.as_posix()}"] = (runtime / relative).read_bytes()
    return files


def copy_runtime_half(output_dir: Path) -> None:
    """Write the runtime half (:func:`runtime_half_files`) into a code asset being built."""
    for relative, content in runtime_half_files().items():
        target = output_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def remove_bytecode_caches(root: Path) -> None:
    """Delete every ``__pycache__`` directory and stray ``.pyc`` under ``root``."""
    for cache in sorted(root.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
    for stray in root.rglob("*.pyc"):
        stray.unlink()


def mirror_tree(source: Path, destination: Path) -> None:
    """Copy ``source`` into ``destination`` (which may exist), hard-linking files where possible.

    Assets are only ever read after bundling, so sharing inodes with the build cache is safe and
    saves copying tens of megabytes on every synthesis.
    """

    def link_or_copy(src: str, dst: str) -> str:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        return dst

    shutil.copytree(source, destination, copy_function=link_or_copy, dirs_exist_ok=True)
