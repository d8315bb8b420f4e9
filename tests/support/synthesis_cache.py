"""Synthesized cloud assemblies cached by the digest of what they are made from, shared by every session.

Synthesis is deterministic: the same inputs give byte-identical assemblies. So an assembly a test
session needs only as files (the emulator's dev stage, the review tooling's variants) is synthesized
once per set of inputs and copied from the cache afterwards: by the second xdist worker, the next
``make check``/``make test``, another clone on the same machine. The key is the digest of every file
under :data:`SYNTHESIS_INPUTS`, the Python version and the machine's architecture (the host layer's
wheels), and what the caller adds (stage, context, the source of a variant's mutation). A change to
any of them is a new entry; nothing is ever invalidated by hand.

The cache lives in ``$SYNTH_CACHE_DIR``, else ``$XDG_CACHE_HOME/serverless-fastapi-cdk/synth`` (by
default ``~/.cache/...``); entries unused for a week are removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SYNTHESIS_INPUTS = (
    "app.py",
    "cdk.json",
    "pyproject.toml",
    "requirements.txt",
    "package-lock.json",
    "tools/bootstrap/requirements.txt",
    "cdk_app",
    "runtime",
    "library",
)
"""Files and folders (relative to the repository root) a synthesis reads; a missing one is skipped, so a
folder that holds the library appears here before it exists."""
IGNORED_PARTS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
CACHE_ENVIRONMENT_VARIABLE = "SYNTH_CACHE_DIR"
UNUSED_ENTRY_SECONDS = 7 * 24 * 3600
_COMPLETE = ".complete"


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENVIRONMENT_VARIABLE)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "serverless-fastapi-cdk" / "synth"


def _files(root: Path, inputs: Iterable[str]) -> Iterator[Path]:
    for name in inputs:
        path = root / name
        if path.is_file():
            yield path
        elif path.is_dir():
            for found in sorted(path.rglob("*")):
                relative = found.relative_to(root).parts
                if found.is_file() and not IGNORED_PARTS & set(relative) and found.suffix != ".pyc":
                    yield found


def inputs_digest(
    root: Path = ROOT, *, inputs: Iterable[str] = SYNTHESIS_INPUTS, extra: Iterable[str] = ()
) -> str:
    """The digest of every input file (path and content), the interpreter and the architecture, and
    ``extra`` (what else the caller's synthesis depends on)."""
    digest = hashlib.sha256()
    for part in (sys.version, platform.machine(), *extra):
        digest.update(part.encode() + b"\0")
    for path in _files(root, inputs):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock held across processes (xdist workers, parallel sessions)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prune(cache: Path, keep: Path) -> None:
    cutoff = time.time() - UNUSED_ENTRY_SECONDS
    for entry in cache.iterdir():
        if entry.is_dir() and entry != keep and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)
            (cache / f"{entry.name}.lock").unlink(missing_ok=True)


def cached_synthesis(
    name: str, outdir: Path, synthesize: Callable[[Path], object], *, extra: Iterable[str] = ()
) -> Path:
    """``outdir`` filled with the assembly ``synthesize(folder)`` writes, from the cache when these inputs
    were synthesized before. ``name`` and ``extra`` tell apart syntheses of the same tree."""
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    entry = cache / f"{name}-{inputs_digest(extra=(name, *extra))[:32]}"
    with _locked(cache / f"{entry.name}.lock"):
        if not (entry / _COMPLETE).exists():
            shutil.rmtree(entry, ignore_errors=True)
            building = Path(tempfile.mkdtemp(prefix=f"{entry.name}.", dir=cache))
            try:
                synthesize(building)
                (building / _COMPLETE).touch()
                building.rename(entry)
            finally:
                shutil.rmtree(building, ignore_errors=True)
        os.utime(entry)
    shutil.copytree(
        entry, outdir, symlinks=True, dirs_exist_ok=True, ignore=shutil.ignore_patterns(_COMPLETE)
    )
    _prune(cache, keep=entry)
    return outdir
