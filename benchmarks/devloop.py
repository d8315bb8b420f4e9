"""Wall time of the developer's everyday commands (``make synth``, ``make test``)."""

from __future__ import annotations

import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CommandTiming:
    command: str
    seconds: tuple[float, ...]

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)


def time_command(root: Path, arguments: list[str], runs: int) -> CommandTiming:
    """Run ``arguments`` in ``root`` ``runs`` times; each run must succeed."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(arguments, cwd=root, capture_output=True, text=True, check=False)  # noqa: S603
        seconds.append(time.perf_counter() - started)
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip().splitlines()
            raise RuntimeError(f"{' '.join(arguments)} failed:\n" + "\n".join(output[-40:]))
    return CommandTiming(command=" ".join(arguments), seconds=tuple(seconds))
