"""A polling file watcher over a few source folders: standard library only, the same on every OS.

Each scan stats every file under the watched paths (a few hundred here, well under a millisecond
each), skipping ``__pycache__`` and hidden entries (editor swap files, ``.git``). A change is reported
once the files have stayed unchanged for ``settle`` seconds, so that an editor's burst of writes
(write, rename, touch) or a ``git checkout`` of many files becomes one report.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

Snapshot = dict[Path, tuple[int, int]]
"""Every watched file with its modification time (ns) and size."""


def _scan_into(path: Path, snapshot: Snapshot) -> None:
    try:
        stat = path.stat()
    except OSError:
        return
    if not path.is_dir():
        snapshot[path] = (stat.st_mtime_ns, stat.st_size)
        return
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        _scan_into(Path(entry.path), snapshot)


def scan(paths: Iterable[Path]) -> Snapshot:
    """The files under ``paths`` (files or folders; missing ones are skipped) with their stat."""
    snapshot: Snapshot = {}
    for path in paths:
        _scan_into(path, snapshot)
    return snapshot


def changed(before: Snapshot, after: Snapshot) -> set[Path]:
    """Files added, removed or modified between two snapshots."""
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


class PollingWatcher:
    """Calls ``on_change`` with the changed files, from a thread of its own, after each settled burst.

    ``on_change`` runs in the watcher's thread; changes made while it runs are reported afterwards.
    """

    def __init__(
        self,
        paths: Iterable[Path],
        on_change: Callable[[set[Path]], None],
        *,
        interval: float = 0.05,
        settle: float = 0.1,
    ) -> None:
        self.paths = tuple(paths)
        self._on_change = on_change
        self._interval = interval
        self._settle = settle
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-api-watcher", daemon=True)

    def start(self) -> None:
        self._baseline = scan(self.paths)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            current = scan(self.paths)
            if current == self._baseline:
                continue
            last_change = time.monotonic()
            while not self._stop.is_set() and time.monotonic() - last_change < self._settle:
                time.sleep(self._interval)
                latest = scan(self.paths)
                if latest != current:
                    current, last_change = latest, time.monotonic()
            changes = changed(self._baseline, current)
            self._baseline = current
            if changes and not self._stop.is_set():
                self._on_change(changes)
