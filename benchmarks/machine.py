"""What the benchmark ran on: CPU, memory, OS, Python, the commit, and how busy the machine was."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    memory_gib: float
    system: str
    python: str

    def describe(self) -> str:
        return (
            f"{self.cpu}, {self.cores} cores, {self.memory_gib:.1f} GiB RAM; {self.system}; "
            f"Python {self.python}"
        )


def this_machine() -> Machine:
    return Machine(
        cpu=_proc_field(Path("/proc/cpuinfo"), "model name") or platform.processor() or platform.machine(),
        cores=os.cpu_count() or 1,
        memory_gib=int((_proc_field(Path("/proc/meminfo"), "MemTotal") or "0 kB").split()[0]) / 1024**2,
        system=platform.platform(),
        python=sys.version.split()[0],
    )


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def commit(root: Path) -> str:
    """The checked-out commit, marked ``+changes`` when the working tree differs from it."""
    head = _git(root, "rev-parse", "--short", "HEAD")
    dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    return f"{head}{' +changes' if dirty else ''}" if head else "unknown"


def _git(root: Path, *arguments: str) -> str:
    try:
        command = ["git", *arguments]
        result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def _proc_field(path: Path, name: str) -> str | None:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return None
