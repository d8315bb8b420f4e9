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
    exit_codes: tuple[int, ...] = ()

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)


def time_command(root: Path, arguments: list[str], runs: int, *, must_succeed: bool = True) -> CommandTiming:
    """Run ``arguments`` in ``root`` ``runs`` times; a failure raises unless ``must_succeed`` is false."""
    seconds = []
    exit_codes = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(arguments, cwd=root, capture_output=True, text=True, check=False)  # noqa: S603
        seconds.append(time.perf_counter() - started)
        exit_codes.append(result.returncode)
        if result.returncode != 0 and must_succeed:
            output = (result.stdout + result.stderr).strip().splitlines()
            raise RuntimeError(f"{' '.join(arguments)} failed:\n" + "\n".join(output[-40:]))
    return CommandTiming(command=" ".join(arguments), seconds=tuple(seconds), exit_codes=tuple(exit_codes))
