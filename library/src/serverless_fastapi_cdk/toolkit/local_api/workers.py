"""Local execution environments: one OS process per concurrently running invocation, like Lambda.

A :class:`FunctionPool` hands each invocation to an idle environment (warm start, most recently used
first) or starts a new one (cold start: a fresh interpreter imports the handler), never running more
environments than the function's reserved concurrency; beyond that an invocation is throttled. An
invocation that outlives the function's timeout is stopped by killing its process, as Lambda ends the
environment, and the next invocation starts a new one.

Each process runs :mod:`toolkit.local_api.worker_bootstrap` in an isolated interpreter with a
Lambda-like environment: only the template's variables and the variables Lambda itself sets, AWS
credentials for the local moto server, and nothing inherited from the developer's shell.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import secrets
import select
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from serverless_fastapi_cdk.toolkit.local_api.logs import Console, passes_log_filter
from serverless_fastapi_cdk.toolkit.local_api.model import FunctionSpec
from serverless_fastapi_cdk.toolkit.local_api.worker_bootstrap import LOG_MARKER

BOOTSTRAP = Path(__file__).with_name("worker_bootstrap.py")
INIT_TIMEOUT_SECONDS = 10.0
"""Lambda's limit on the INIT phase of an on-demand execution environment."""
DEFAULT_CONCURRENCY = 10
"""Environments allowed at once when the template reserves no concurrency (the account pool, locally)."""
_LOG_DRAIN_SECONDS = 2.0


class Outcome(StrEnum):
    SUCCESS = "success"
    ERROR = "error"
    """The function raised, its init failed, or its runtime exited."""
    TIMEOUT = "timeout"


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """The result of one synchronous invocation, as Lambda reports it to API Gateway."""

    request_id: str
    outcome: Outcome
    payload: str | None = None
    error: dict[str, Any] | None = None


class ThrottledError(Exception):
    """Every environment the function may have is busy (Lambda's ``TooManyRequestsException``)."""


class _InitFailedError(Exception):
    def __init__(self, error: dict[str, Any], duration_ms: float) -> None:
        super().__init__(error["errorMessage"])
        self.error = error
        self.duration_ms = duration_ms


@dataclass(frozen=True, kw_only=True)
class Platform:
    """What every environment shares: the interpreter, the AWS endpoint and the console."""

    python: str
    region: str
    aws_endpoint_url: str
    xray_daemon_address: str
    console: Console


def lambda_environment(function: FunctionSpec, platform: Platform, *, log_stream: str) -> dict[str, str]:
    """The process environment of an execution environment: the template's variables plus Lambda's."""
    host, _, port = platform.xray_daemon_address.partition(":")
    library_path = [str(function.code_dir / "lib")] + [str(layer / "lib") for layer in function.layer_dirs]
    reserved = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LD_LIBRARY_PATH": ":".join(library_path),
        "LAMBDA_TASK_ROOT": str(function.code_dir),
        "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
        "_HANDLER": function.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_VERSION": function.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": function.log_group_name,
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_REGION": platform.region,
        "AWS_DEFAULT_REGION": platform.region,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_ENDPOINT_URL": platform.aws_endpoint_url,
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": platform.xray_daemon_address,
        "_AWS_XRAY_DAEMON_ADDRESS": host,
        "_AWS_XRAY_DAEMON_PORT": port,
    }
    if function.log_format == "JSON":
        reserved["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        if function.application_log_level:
            reserved["AWS_LAMBDA_LOG_LEVEL"] = function.application_log_level
    return dict(function.environment) | reserved


class _LineReader:
    """Reads newline-terminated messages from a pipe (which it owns), giving up at a deadline."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()

    def close(self) -> None:
        os.close(self._fd)

    def read(self, timeout: float) -> bytes | None:
        """The next line, or None once ``timeout`` seconds passed; EOFError when the writer is gone."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                raise EOFError
            self._buffer += chunk
        end = self._buffer.index(b"\n")
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        return line


class ExecutionEnvironment:
    """One worker process serving one invocation at a time."""

    def __init__(self, function: FunctionSpec, platform: Platform, number: int) -> None:
        self.function = function
        self.platform = platform
        self.label = f"env-{number}"
        self.log_stream = f"{time.strftime('%Y/%m/%d')}/[{function.version}]{secrets.token_hex(16)}"
        self.init_ms: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._request_fd = -1
        self._responses: _LineReader | None = None
        self._log_marks: dict[str, int] = {}
        self._log_condition = threading.Condition()
        self._log_filter_level = function.application_log_level if function.log_format == "JSON" else None

    @property
    def pid(self) -> int:
        return self._process.pid if self._process else 0

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the process and run the INIT phase; :class:`_InitFailedError` when the handler won't load."""
        request_read, self._request_fd = os.pipe()
        response_read, response_write = os.pipe()
        config = {
            "taskRoot": str(self.function.code_dir),
            "layers": [str(layer) for layer in self.function.layer_dirs],
            "requestFd": request_read,
            "responseFd": response_write,
        }
        self._process = subprocess.Popen(  # noqa: S603 (fixed argv, no shell)
            [self.platform.python, "-I", "-S", "-B", str(BOOTSTRAP), json.dumps(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(request_read, response_write),
            cwd=self.function.code_dir,
            env=lambda_environment(self.function, self.platform, log_stream=self.log_stream),
            start_new_session=True,
        )
        os.close(request_read)
        os.close(response_write)
        self._responses = _LineReader(response_read)
        for stream in (self._process.stdout, self._process.stderr):
            threading.Thread(target=self._pump_logs, args=(stream,), daemon=True).start()
        started = time.monotonic()
        try:
            message = self._receive(INIT_TIMEOUT_SECONDS)
        except EOFError:
            message = {"type": "initError", "error": _exit_error(self._wait_exit(), "")}
        duration_ms = (time.monotonic() - started) * 1000
        if message is None:
            self.kill()
            error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"INIT did not finish in {INIT_TIMEOUT_SECONDS} s",
            }
            raise _InitFailedError(error, duration_ms)
        if message["type"] != "ready":
            self._wait_exit()
            raise _InitFailedError(message["error"], duration_ms)
        self.init_ms = duration_ms

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        if self._responses is None:
            raise EOFError
        line = self._responses.read(timeout)
        if line is None:
            return None
        message: dict[str, Any] = json.loads(line)
        return message

    def _wait_exit(self) -> int:
        if self._process is None:
            return -1
        try:
            return self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return self._process.wait()

    def _pump_logs(self, stream: IO[bytes] | None) -> None:
        if stream is None:
            return
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace").rstrip("\n")
            text, marker, request_id = line.partition(LOG_MARKER)
            if (text or not marker) and passes_log_filter(text, self._log_filter_level):
                self.platform.console.function_line(self.label, text)
            if marker:
                with self._log_condition:
                    self._log_marks[request_id] = self._log_marks.get(request_id, 0) + 1
                    self._log_condition.notify_all()
        stream.close()

    def _await_logs(self, request_id: str) -> None:
        with self._log_condition:
            self._log_condition.wait_for(lambda: self._log_marks.get(request_id, 0) >= 2, _LOG_DRAIN_SECONDS)
            self._log_marks.pop(request_id, None)

    def invoke(
        self, event: dict[str, Any], *, request_id: str, trace_id: str
    ) -> tuple[Outcome, dict[str, Any]]:
        """Run one invocation with the function's timeout; the environment dies on timeout or crash."""
        deadline_ms = int(time.time() * 1000 + self.function.timeout_seconds * 1000)
        request = {
            "requestId": request_id,
            "deadlineMs": deadline_ms,
            "invokedFunctionArn": self.function.invoked_arn,
            "traceId": trace_id,
            "event": event,
        }
        data = json.dumps(request).encode() + b"\n"
        try:
            while data:
                data = data[os.write(self._request_fd, data) :]
            message = self._receive(self.function.timeout_seconds)
        except (EOFError, BrokenPipeError):
            return Outcome.ERROR, _exit_error(self._wait_exit(), request_id)
        if message is None:
            self.kill()
            text = f"{request_id} Task timed out after {self.function.timeout_seconds:.2f} seconds"
            return Outcome.TIMEOUT, {"errorType": "Sandbox.Timedout", "errorMessage": text}
        self._await_logs(request_id)
        if message["type"] == "result":
            return Outcome.SUCCESS, message
        return Outcome.ERROR, message["error"]

    def max_memory_mb(self) -> int | None:
        """Peak resident memory of the process (Linux only), for the REPORT line."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return math.ceil(int(line.split()[1]) / 1024)
        return None

    def kill(self) -> None:
        """End the process and anything it started (its own session)."""
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        if self._request_fd >= 0:
            os.close(self._request_fd)
            self._request_fd = -1
        if self._responses is not None:
            self._responses.close()
            self._responses = None


def _exit_error(status: int, request_id: str) -> dict[str, Any]:
    return {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status {status}",
    }


class FunctionPool:
    """The execution environments of one function."""

    def __init__(self, function: FunctionSpec, platform: Platform) -> None:
        self.function = function
        self.platform = platform
        self.max_environments = (
            DEFAULT_CONCURRENCY if function.reserved_concurrency is None else function.reserved_concurrency
        )
        self._idle: list[ExecutionEnvironment] = []
        self._environments: set[ExecutionEnvironment] = set()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        """Notified when an environment initialised ahead of time is ready or has failed."""
        self._initialising = 0
        self._retired = False
        """Drained: every environment ends after its invocation."""
        self._closed = False

    def _acquire(self) -> ExecutionEnvironment:
        """An idle environment, or a new one; waits for one being initialised ahead of time, if any."""
        with self._settled:
            self._settled.wait_for(lambda: bool(self._idle) or not self._initialising, INIT_TIMEOUT_SECONDS)
            if self._idle:
                return self._idle.pop()
            if self._closed or len(self._environments) >= self.max_environments:
                raise ThrottledError(self.function.name)
            environment = ExecutionEnvironment(self.function, self.platform, next(self._numbers))
            self._environments.add(environment)
            return environment

    def _release(self, environment: ExecutionEnvironment) -> None:
        with self._lock:
            current = environment.function is self.function
            if environment.alive and current and not (self._closed or self._retired):
                self._idle.append(environment)
                return
            self._environments.discard(environment)
        environment.kill()

    def replace(self, function: FunctionSpec) -> int:
        """Serve later invocations with ``function`` (new code or settings) in new environments.

        Idle environments of the previous function end now; busy ones finish their invocation, then
        end. Returns how many are still busy.
        """
        with self._lock:
            self.function = function
            idle, self._idle = self._idle, []
            self._environments.difference_update(idle)
            draining = len(self._environments)
        for environment in idle:
            environment.kill()
        return draining

    def drain(self) -> None:
        """Retire the pool: idle environments end now, every other one after its invocation.

        Invocations still arrive from requests routed just before a reload, and are answered.
        """
        with self._lock:
            self._retired = True
            idle, self._idle = self._idle, []
            self._environments.difference_update(idle)
        for environment in idle:
            environment.kill()

    def code_dirs_in_use(self) -> set[Path]:
        """The code folders of every environment still running and, unless drained, of the function."""
        with self._lock:
            running = {environment.function.code_dir for environment in self._environments}
            return running if self._closed or self._retired else running | {self.function.code_dir}

    def prewarm(self) -> float | dict[str, Any] | None:
        """Initialise one environment ahead of any invocation, as Lambda occasionally does on demand.

        Returns its init duration (ms), the INIT error, or None when no environment may start now.
        """
        with self._lock:
            if self._closed or self._retired or len(self._environments) >= self.max_environments:
                return None
            environment = ExecutionEnvironment(self.function, self.platform, next(self._numbers))
            self._environments.add(environment)
            self._initialising += 1
        failure: _InitFailedError | None = None
        try:
            environment.start()
        except _InitFailedError as error:
            failure = error
            self._init_failed(environment, failure)
        with self._settled:
            self._initialising -= 1
            self._settled.notify_all()
            current = environment.function is self.function
            if failure is None and current and not (self._closed or self._retired):
                self._idle.append(environment)
                return environment.init_ms
            self._environments.discard(environment)
        environment.kill()
        return None if failure is None else failure.error

    def _init_failed(self, environment: ExecutionEnvironment, failure: _InitFailedError) -> None:
        self.platform.console.platform(
            environment.label,
            f"INIT_REPORT Init Duration: {failure.duration_ms:.2f} ms\tPhase: init\tStatus: error\t"
            f"Error Type: {failure.error['errorType']}",
        )

    def invoke(self, event: dict[str, Any], *, trace_root: str) -> Invocation:
        """Invoke the function synchronously; :class:`ThrottledError` when no environment is free.

        ``trace_root`` is the X-Ray trace the request belongs to (``Root=1-...``).
        """
        environment = self._acquire()
        function = environment.function
        request_id = str(uuid.uuid4())
        sampled = 1 if function.tracing_active else 0
        trace_id = f"{trace_root};Parent={secrets.token_hex(8)};Sampled={sampled}"
        console = self.platform.console
        cold = environment.init_ms is None
        try:
            if cold:
                environment.start()
            console.platform(environment.label, f"START RequestId: {request_id} Version: {function.version}")
            started = time.monotonic()
            outcome, result = environment.invoke(event, request_id=request_id, trace_id=trace_id)
            self._report(environment, request_id, started, outcome, cold)
        except _InitFailedError as failure:
            self._init_failed(environment, failure)
            outcome, result = Outcome.ERROR, failure.error
        finally:
            self._release(environment)
        return Invocation(
            request_id=request_id,
            outcome=outcome,
            payload=result.get("payload") if outcome is Outcome.SUCCESS else None,
            error=None if outcome is Outcome.SUCCESS else result,
        )

    def _report(
        self, environment: ExecutionEnvironment, request_id: str, started: float, outcome: Outcome, cold: bool
    ) -> None:
        duration = (time.monotonic() - started) * 1000
        function = environment.function
        console = self.platform.console
        if outcome is Outcome.TIMEOUT:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            console.platform(
                environment.label,
                f"{stamp} {request_id} Task timed out after {function.timeout_seconds:.2f} seconds",
            )
        console.platform(environment.label, f"END RequestId: {request_id}")
        fields = [
            f"REPORT RequestId: {request_id}",
            f"Duration: {duration:.2f} ms",
            f"Billed Duration: {math.ceil(duration)} ms",
            f"Memory Size: {function.memory_mb} MB",
        ]
        memory = environment.max_memory_mb()
        if memory is not None:
            fields.append(f"Max Memory Used: {memory} MB")
        if cold and environment.init_ms is not None:
            fields.append(f"Init Duration: {environment.init_ms:.2f} ms")
        if outcome is not Outcome.SUCCESS:
            fields.append(f"Status: {outcome.value}")
        console.platform(environment.label, "\t".join(fields))

    def shutdown(self) -> None:
        """Kill every environment; later invocations are throttled."""
        with self._lock:
            self._closed = True
            environments = list(self._environments)
            self._environments.clear()
            self._idle.clear()
        for environment in environments:
            environment.kill()
