"""Runs inside a fresh interpreter with only an unpacked artifact on its module path; standard library only.

Started as ``python -I -S [-B] probe.py <config.json>``: isolated mode and no ``site`` leave only the
standard library on ``sys.path``; the probe puts the function's code and then its layers' ``python/``
folders in front, the order Lambda uses. Then, depending on the config's ``mode``:

- ``cold``: import the handler (the INIT phase), then invoke it with each event in turn; an
  :class:`ImportClock` splits INIT (and each request) into loading dependencies and the rest;
- ``warm``: invoke the handler and call its ASGI app directly, interleaved, many times.

It writes its measurements as JSON to the config's ``result`` path (the handler owns stdout).
Modules of the artifact compiled from source instead of loaded from bytecode are recorded through the
import system's ``source_to_code`` hook.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import resource
import secrets
import sys
import time
import uuid
from collections.abc import Callable
from importlib.machinery import ExtensionFileLoader, SourceFileLoader, SourcelessFileLoader
from typing import Any

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class LambdaContext:
    """The attributes of the Lambda Python runtime's context object that handlers read."""

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "bench")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024"))
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "bench"
        self._deadline = time.monotonic() + 10

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def record_source_compiles(roots: list[str]) -> list[str]:
    """From now on, append to the returned list every module under ``roots`` compiled from source."""
    compiled: list[str] = []
    original = SourceFileLoader.source_to_code

    def recording(self: SourceFileLoader, data: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(path, str) and path.startswith(tuple(roots)):
            compiled.append(path)
        return original(self, data, path, *args, **kwargs)

    setattr(SourceFileLoader, "source_to_code", recording)  # noqa: B010 - replacing a method
    return compiled


class ImportClock:
    """Wall-clock time spent loading modules from outside the function's own code.

    The import system runs every module file through its loader's ``exec_module`` (and loads an
    extension module's shared library in ``create_module``); wrapped, they let the clock run while a
    module of the standard library or of a layer is being loaded, the modules it imports in turn
    included, and stand still while a module of the function's own code (under ``own_root``, Lambda's
    ``/var/task``) runs its body. So a phase's imports are what loading its dependencies cost, and
    the rest of INIT is the function building its app (its own modules' bodies, the app, clients,
    Powertools' objects), whatever the handler module looks like. Built-in and frozen modules are
    not timed: the interpreter has loaded them before the handler is imported. A module loaded in
    another thread (FastAPI runs a plain route in a worker thread) counts the same; the clock takes
    it that two threads never load modules at once, as on the paths measured here, where the
    caller waits for the worker.
    """

    def __init__(self, own_root: str) -> None:
        self._own_root = own_root.rstrip("/") + "/"
        self._depth = 0
        self._since = 0.0
        self._seconds = 0.0
        self._modules = 0

    def install(self) -> None:
        for loader_class, method in (
            (SourceFileLoader, "exec_module"),
            (SourcelessFileLoader, "exec_module"),
            (ExtensionFileLoader, "create_module"),
            (ExtensionFileLoader, "exec_module"),
        ):
            setattr(loader_class, method, self._timed(getattr(loader_class, method), method == "exec_module"))

    def lap(self) -> tuple[float, int]:
        """Milliseconds spent and dependency modules loaded since the last lap; starts the next one."""
        lap = (self._seconds * 1000, self._modules)
        self._seconds, self._modules = 0.0, 0
        return lap

    def _timed(self, method: Callable[..., Any], counts: bool) -> Callable[..., Any]:
        def timed(loader: Any, *args: Any, **kwargs: Any) -> Any:
            if str(loader.path).startswith(self._own_root):
                return method(loader, *args, **kwargs)
            if self._depth == 0:
                self._since = time.perf_counter()
            self._depth += 1
            self._modules += counts
            try:
                return method(loader, *args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._seconds += time.perf_counter() - self._since

        return timed


def peak_rss_kib() -> int:
    """The process's peak resident set size since exec (``VmHWM``).

    ``ru_maxrss`` would not do: Linux carries it over from the forked parent across ``exec``.
    """
    with open("/proc/self/status", encoding="ascii") as status:  # noqa: PTH123 - pathlib costs an import
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def load(spec: str) -> Any:
    """``"package.module.name"`` -> that attribute of the imported module."""
    module_name, _, attribute = spec.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def invoke(handler: Handler, event: dict[str, Any]) -> dict[str, Any]:
    """One invocation, with the per-invocation trace header Lambda sets."""
    os.environ["_X_AMZN_TRACE_ID"] = (
        f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=1"
    )
    return handler(event, LambdaContext())


def asgi_scope(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The ASGI scope Mangum builds from a payload 2.0 event, for calling the app without Mangum."""
    headers = {name.lower(): value for name, value in event.get("headers", {}).items()}
    http = event["requestContext"]["http"]
    return {
        "type": "http",
        "method": http["method"],
        "http_version": "1.1",
        "headers": [[name.encode(), value.encode()] for name, value in headers.items()],
        "path": http["path"],
        "raw_path": None,
        "root_path": "",
        "scheme": headers.get("x-forwarded-proto", "https"),
        "query_string": event.get("rawQueryString", "").encode(),
        "server": (headers.get("host", "mangum"), int(headers.get("x-forwarded-port", "443"))),
        "client": (http["sourceIp"], 0),
        "asgi": {"version": "3.0", "spec_version": "2.0"},
        "aws.event": event,
        "aws.context": context,
    }


class AsgiCaller:
    """Calls an ASGI app with one request on one event loop, as a server would; returns the status."""

    def __init__(self, app: Any) -> None:
        import asyncio

        self._app = app
        self._loop = asyncio.new_event_loop()

    def __call__(self, event: dict[str, Any]) -> int:
        body = event.get("body", "").encode()
        sent = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        self._loop.run_until_complete(self._app(asgi_scope(event, LambdaContext()), receive, send))
        return status


def _handler_status(handler: Handler, event: dict[str, Any]) -> int:
    return int(invoke(handler, event)["statusCode"])


def cold(config: dict[str, Any]) -> dict[str, Any]:
    compiled = record_source_compiles(config["path"])
    imports = ImportClock(own_root=config["path"][0])
    imports.install()
    started, started_cpu = time.perf_counter(), time.process_time()
    handler: Handler = load(config["handler"])
    initialised, initialised_cpu = time.perf_counter(), time.process_time()
    init_imports_ms, init_imported = imports.lap()
    requests = []
    for event in config["events"]:
        before, before_cpu = time.perf_counter(), time.process_time()
        response = invoke(handler, event)
        elapsed_ms, cpu_ms = (time.perf_counter() - before) * 1000, (time.process_time() - before_cpu) * 1000
        imports_ms, imported = imports.lap()
        requests.append(
            {
                "ms": elapsed_ms,
                "cpu_ms": cpu_ms,
                "imports_ms": imports_ms,
                "imported_modules": imported,
                "status": response.get("statusCode"),
                "body": response.get("body"),
            }
        )
    return {
        "init_ms": (initialised - started) * 1000,
        "init_cpu_ms": (initialised_cpu - started_cpu) * 1000,
        "init_imports_ms": init_imports_ms,
        "init_imported_modules": init_imported,
        "requests": requests,
        "peak_rss_kib": peak_rss_kib(),
        "compiled_from_source": compiled,
        "modules": len(sys.modules),
    }


def warm(config: dict[str, Any]) -> dict[str, Any]:
    handler: Handler = load(config["handler"])
    call_app = AsgiCaller(load(config["asgi_app"]))
    series: dict[str, Callable[[], int]] = {}
    for name, event in config["events"].items():
        series[f"handler {name}"] = functools.partial(_handler_status, handler, event)
        series[f"asgi {name}"] = functools.partial(call_app, event)
    for _ in range(config["warmup"]):
        for call in series.values():
            call()
    latencies: dict[str, list[float]] = {name: [] for name in series}
    statuses: dict[str, set[int]] = {name: set() for name in series}
    names = list(series)
    for round_number in range(config["invocations"]):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            before = time.perf_counter_ns()
            statuses[name].add(series[name]())
            latencies[name].append((time.perf_counter_ns() - before) / 1e6)
    return {
        "latencies_ms": latencies,
        "statuses": {name: sorted(codes) for name, codes in statuses.items()},
    }


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as config_file:  # noqa: PTH123 - pathlib costs an import
        config = json.load(config_file)
    sys.path[:0] = config["path"]
    result = cold(config) if config["mode"] == "cold" else warm(config)
    with open(config["result"], "w", encoding="utf-8") as result_file:  # noqa: PTH123
        json.dump(result, result_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
