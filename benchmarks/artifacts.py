"""Deployment artifacts as Lambda sees them: zipped like the CDK CLI, unpacked read-only, audited.

The CDK CLI zips an asset folder with every entry dated 1980-01-01 00:00 (so the same content gives
the same hash) and keeps file modes; Lambda unpacks it read-only under ``/var/task`` and ``/opt``.
Timestamp-based ``.pyc`` files record their source's modification time, which that date no longer
matches: the interpreter then compiles the source again on every cold start and cannot save the result.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""The date the CDK CLI gives every entry of an asset zip."""

_HASH_BASED = 0b01
_CHECK_SOURCE = 0b10
_READ_ONLY_BITS = ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


@dataclass(frozen=True)
class ArchiveSize:
    """Size of one asset: the zip Lambda receives and what it unpacks to (its limit is on the latter)."""

    zipped_bytes: int
    unzipped_bytes: int
    files: int


def asset_files(folder: Path) -> list[Path]:
    """Every file under ``folder`` (symlinks followed, dot files included), relative, in a stable order."""
    return sorted(
        Path(directory, name).relative_to(folder)
        for directory, _, names in os.walk(folder, followlinks=True)
        for name in names
    )


def zip_like_cdk(folder: Path, archive: Path) -> ArchiveSize:
    """Zip ``folder`` as the CDK CLI zips a file asset: files only, fixed date, modes kept, deflated."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    unzipped = 0
    files = asset_files(folder)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for relative in files:
            source = folder / relative
            entry = zipfile.ZipInfo(relative.as_posix(), date_time=ZIP_DATE)
            entry.external_attr = (source.stat().st_mode & 0xFFFF) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            data = source.read_bytes()
            unzipped += len(data)
            bundle.writestr(entry, data)
    return ArchiveSize(zipped_bytes=archive.stat().st_size, unzipped_bytes=unzipped, files=len(files))


def extract_read_only(archive: Path, destination: Path) -> Path:
    """Unpack ``archive`` into ``destination`` as Lambda does: entry dates and modes kept, nothing writable.

    The root user ignores permission bits, so read-only here does not stop a root process from
    writing; callers that must prove nothing is written compare :func:`tree_listing` before and after.
    """
    destination.mkdir(parents=True)
    with zipfile.ZipFile(archive) as bundle:
        for entry in bundle.infolist():
            target = Path(bundle.extract(entry, destination))
            mode = entry.external_attr >> 16
            if mode:
                target.chmod(stat.S_IMODE(mode))
            dated = time.mktime((*entry.date_time, 0, 0, -1))
            os.utime(target, (dated, dated))
    dated = time.mktime((*ZIP_DATE, 0, 0, -1))
    for directory in sorted((path for path in destination.rglob("*") if path.is_dir()), reverse=True):
        os.utime(directory, (dated, dated))
    _make_read_only(destination)
    return destination


def _make_read_only(root: Path) -> None:
    for path in [*root.rglob("*"), root]:
        path.chmod(stat.S_IMODE(path.stat().st_mode) & _READ_ONLY_BITS)


def remove_tree(root: Path) -> None:
    """Delete a tree made by :func:`extract_read_only` (write permission is restored first)."""
    if not root.exists():
        return
    for path in [root, *root.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(stat.S_IMODE(path.stat().st_mode) | stat.S_IWUSR)
    shutil.rmtree(root)


def tree_listing(root: Path) -> dict[str, tuple[int, int]]:
    """``{relative path: (size, mtime_ns)}`` of every entry under ``root``: compare it to spot writes."""
    listing = {}
    for path in root.rglob("*"):
        status = path.stat()
        listing[path.relative_to(root).as_posix()] = (status.st_size, status.st_mtime_ns)
    return listing


def compiled_path(source: Path, cache_tag: str | None = None) -> Path:
    """Where the interpreter looks for ``source``'s bytecode (``__pycache__/<stem>.<cache tag>.pyc``)."""
    tag = cache_tag or sys.implementation.cache_tag
    return source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"


def has_usable_bytecode(source: Path) -> bool:
    """Whether this interpreter would load ``source`` from its ``.pyc`` instead of compiling it.

    That takes a ``.pyc`` for this Python version (its magic number), and either hash-based
    invalidation (unchecked, or checked and matching the source) or a recorded modification time and
    size that match the source file as it is now.
    """
    compiled = compiled_path(source)
    if not compiled.is_file():
        return False
    header = compiled.read_bytes()[:16]
    if len(header) < 16 or header[:4] != importlib.util.MAGIC_NUMBER:
        return False
    flags = int.from_bytes(header[4:8], "little")
    if flags & _HASH_BASED:
        return not flags & _CHECK_SOURCE or header[8:16] == importlib.util.source_hash(source.read_bytes())
    recorded_mtime = int.from_bytes(header[8:12], "little")
    recorded_size = int.from_bytes(header[12:16], "little")
    status = source.stat()
    return (
        recorded_mtime == int(status.st_mtime) & 0xFFFFFFFF and recorded_size == status.st_size & 0xFFFFFFFF
    )


def python_sources(root: Path) -> list[Path]:
    """Every ``.py`` file under ``root`` in a stable order."""
    return sorted(root.rglob("*.py"))


def modules_without_usable_bytecode(root: Path) -> list[Path]:
    """The ``.py`` files under ``root`` that would be compiled from source on import."""
    return [source for source in python_sources(root) if not has_usable_bytecode(source)]
