"""Wall time of the developer's everyday commands (``make synth``, ``make test``)."""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

_OUTPUT_TAIL_LINES = 40
_GRACE_SECONDS = 10


@dataclass(frozen=True)
class CommandTiming:
    """The runs of one command: seconds and exit code of each, whether the last was cut off by a timeout.

    A timed-out run's seconds are the timeout, so its figure is a lower bound.
    """

    command: str
    seconds: tuple[float, ...]
    exit_codes: tuple[int, ...] = ()
    timed_out: bool = False
    failure_output: str = ""
    """The last lines of output of the last run that failed or timed out."""

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)


def time_command(
    root: Path,
    arguments: list[str],
    runs: int,
    *,
    must_succeed: bool = True,
    timeout_seconds: float | None = None,
) -> CommandTiming:
    """Run ``arguments`` in ``root`` ``runs`` times, each in a process group of its own.

    A run that outlives ``timeout_seconds`` has its whole group (``make`` and every child) terminated,
    and no further run starts. A failure or timeout raises unless ``must_succeed`` is false, in which
    case it is recorded in the returned timing.
    """
    seconds: list[float] = []
    exit_codes: list[int] = []
    failure_output = ""
    timed_out = False
    for _ in range(runs):
        started = time.perf_counter()
        code, output, timed_out = _run(root, arguments, timeout_seconds)
        seconds.append(time.perf_counter() - started)
        exit_codes.append(code)
        if code != 0 or timed_out:
            failure_output = "\n".join(output.strip().splitlines()[-_OUTPUT_TAIL_LINES:])
            if must_succeed:
                reason = f"timed out after {timeout_seconds} s" if timed_out else f"failed ({code})"
                raise RuntimeError(f"{' '.join(arguments)} {reason}:\n{failure_output}")
        if timed_out:
            break
    return CommandTiming(
        command=" ".join(arguments),
        seconds=tuple(seconds),
        exit_codes=tuple(exit_codes),
        timed_out=timed_out,
        failure_output=failure_output,
    )


def _run(root: Path, arguments: list[str], timeout_seconds: float | None) -> tuple[int, str, bool]:
    """Exit code, combined output, and whether the timeout cut the run off."""
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        arguments,
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout_seconds)
    except subprocess.TimeoutExpired:
        return _stop(process), _remaining_output(process), True
    return process.returncode, output, False


def _stop(process: subprocess.Popen[str]) -> int:
    """Terminate ``process``'s group, killing it if it is still there after a grace period."""
    for sent in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sent)
        try:
            return process.wait(timeout=_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            continue
    return process.wait()


def _remaining_output(process: subprocess.Popen[str]) -> str:
    """What the stopped run wrote, unless a process that left its group still holds the pipe."""
    try:
        output, _ = process.communicate(timeout=_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        if process.stdout is not None:
            process.stdout.close()
        return "(output lost: a process outside the command's group kept it open)"
    return output
