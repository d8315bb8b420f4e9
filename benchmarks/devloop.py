"""Wall time of the developer's everyday commands (``make synth``, ``make check``, ``make test``), of a
fresh clone's way to a served API (``git clone``, then ``make run`` until ``GET /health`` answers 200)
and of a fresh clone's ``make test``."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

_OUTPUT_TAIL_LINES = 40
_GRACE_SECONDS = 10
_POLL_SECONDS = 0.2
HEALTH_PATH = "/health"
CACHE_VARIABLES = ("UV_CACHE_DIR", "PIP_CACHE_DIR", "npm_config_cache")
"""Where uv, pip and npm keep downloads: pointed at new, empty folders for the empty-caches figure."""
FRESH_CLONE_TIMEOUT_SECONDS = 900.0


def fresh_clone_label(*, empty_caches: bool) -> str:
    """The developer-loop table's name of a fresh-clone figure."""
    return f"fresh clone → GET {HEALTH_PATH} 200 ({'empty' if empty_caches else 'warm'} caches)"


FRESH_CLONE_TEST_LABEL = "fresh clone → make test (warm caches)"
_PYTEST_SUMMARY = re.compile(r"^=+ .*\b(?:passed|failed|error|errors)\b.* in ([0-9.]+)s\b", re.MULTILINE)


def pytest_seconds(output: str) -> float | None:
    """The seconds pytest reports in the last summary line of ``output``, if there is one."""
    found = _PYTEST_SUMMARY.findall(output)
    return float(found[-1]) if found else None


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
    output_tail: str = ""
    """The last lines of output of the last run."""

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")


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
    failure_output = output_tail = ""
    timed_out = False
    for _ in range(runs):
        started = time.perf_counter()
        code, output, timed_out = _run(root, arguments, timeout_seconds)
        seconds.append(time.perf_counter() - started)
        exit_codes.append(code)
        output_tail = "\n".join(output.strip().splitlines()[-_OUTPUT_TAIL_LINES:])
        if code != 0 or timed_out:
            failure_output = output_tail
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
        output_tail=output_tail,
    )


def fresh_clone_command(
    root: Path, work: Path, arguments: list[str], runs: int, *, label: str, timeout_seconds: float
) -> CommandTiming:
    """Seconds of ``arguments`` (``make test``) run in a new ``git clone`` of ``root``'s committed HEAD,
    ``runs`` times; the clone's set-up is part of the figure, the clone is removed afterwards. The
    machine's uv, pip and npm caches are used as they are."""
    timings = []
    for run in range(runs):
        clone = work / f"clone-test-{run}"
        shutil.rmtree(clone, ignore_errors=True)
        try:
            cloned = subprocess.run(  # noqa: S603 - fixed argv
                ["git", "clone", "--quiet", str(root), str(clone)],  # noqa: S607 - git from PATH
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if cloned.returncode != 0:
                timings.append(
                    CommandTiming(label, (0.0,), (cloned.returncode,), False, cloned.stderr[-2000:])
                )
                break
            timing = time_command(clone, arguments, 1, must_succeed=False, timeout_seconds=timeout_seconds)
        finally:
            shutil.rmtree(clone, ignore_errors=True)
        timings.append(timing)
        if timing.timed_out:
            break
    failed = [timing for timing in timings if timing.failure_output]
    return CommandTiming(
        command=label,
        seconds=tuple(second for timing in timings for second in timing.seconds),
        exit_codes=tuple(code for timing in timings for code in timing.exit_codes),
        timed_out=any(timing.timed_out for timing in timings),
        failure_output=failed[-1].failure_output if failed else "",
        output_tail=timings[-1].output_tail if timings else "",
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


def fresh_clone_to_health(
    root: Path,
    work: Path,
    runs: int,
    *,
    empty_caches: bool,
    timeout_seconds: float = FRESH_CLONE_TIMEOUT_SECONDS,
) -> CommandTiming:
    """Seconds from ``git clone`` of ``root``'s committed HEAD to the first 200 of ``GET /health`` from
    ``make run`` in the clone, ``runs`` times, each in a new clone under ``work`` removed afterwards.

    The clone has no ``.venv``, ``.venv-scan``, ``node_modules``, ``.uv`` or layer cache, whatever the
    caches: warm caches are the machine's uv, pip and npm caches as they are (a developer's machine);
    with ``empty_caches`` each run gets new, empty ones, so every package is downloaded again. A run
    that outlives ``timeout_seconds`` stops the series, as :func:`time_command` does.
    """
    label = fresh_clone_label(empty_caches=empty_caches)
    seconds: list[float] = []
    exit_codes: list[int] = []
    failure_output = ""
    timed_out = False
    for run in range(runs):
        environment = dict(os.environ)
        caches = work / f"caches-{run}"
        if empty_caches:
            environment |= _empty_caches(caches)
        clone = work / f"clone-{run}"
        shutil.rmtree(clone, ignore_errors=True)
        log = work / f"clone-{run}.log"
        started = time.perf_counter()
        try:
            code, timed_out = _clone_and_serve(root, clone, log, environment, started + timeout_seconds)
        finally:
            shutil.rmtree(clone, ignore_errors=True)
            shutil.rmtree(caches, ignore_errors=True)
        seconds.append(time.perf_counter() - started)
        exit_codes.append(code)
        if code != 0 or timed_out:
            failure_output = "\n".join(log.read_text().strip().splitlines()[-_OUTPUT_TAIL_LINES:])
        if timed_out:
            break
    return CommandTiming(label, tuple(seconds), tuple(exit_codes), timed_out, failure_output)


def _empty_caches(folder: Path) -> dict[str, str]:
    shutil.rmtree(folder, ignore_errors=True)
    caches = {}
    for variable in CACHE_VARIABLES:
        (folder / variable).mkdir(parents=True)
        caches[variable] = str(folder / variable)
    return caches


def _clone_and_serve(
    root: Path, clone: Path, log: Path, environment: dict[str, str], deadline: float
) -> tuple[int, bool]:
    """Exit code (0 once ``/health`` answered 200) and whether ``deadline`` passed first."""
    port = _free_port()
    with log.open("w") as output:
        cloned = subprocess.run(  # noqa: S603 - fixed argv
            ["git", "clone", "--quiet", str(root), str(clone)],  # noqa: S607 - git from PATH
            stdout=output, stderr=subprocess.STDOUT, env=environment, check=False,
        )  # fmt: skip
        if cloned.returncode != 0:
            return cloned.returncode, False
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            ["make", "run", f"PORT={port}"],  # noqa: S607 - make from PATH
            cwd=clone, stdout=output, stderr=subprocess.STDOUT, env=environment, start_new_session=True,
            text=True,
        )  # fmt: skip
        try:
            while time.perf_counter() < deadline:
                if _health_status(port) == 200:
                    return 0, False
                if process.poll() is not None:
                    return process.returncode or 1, False
                time.sleep(_POLL_SECONDS)
            return 0, True
        finally:
            _stop(process)


def _health_status(port: int) -> int | None:
    """The status of ``GET /health`` on the loopback ``port``, or None while nothing answers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", HEALTH_PATH)
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
