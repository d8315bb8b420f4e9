"""The runtime of one local execution environment: loads the handler, then serves invocations.

The emulator starts this file as ``python -I -S -B worker_bootstrap.py <config>``: isolated mode and
no ``site`` leave only the standard library on ``sys.path``, and this script puts the function's code
and then each layer's ``python/`` folders in front of it, the order Lambda uses. Nothing of the
development environment is importable, so a package missing from the layer fails here as in Lambda.
It imports only the standard library for the same reason.

Invocations arrive as JSON lines on one pipe and results leave on another; the handler's stdout and
stderr are the function's log stream, line-buffered (Lambda's runtime does not buffer them) so lines
reach the console as they are written. After each invocation a marker line (``\\x1e`` + request id)
on both streams tells the emulator that the invocation's logs are complete.
"""

from __future__ import annotations

import decimal
import importlib
import io
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import IO, Any

MAX_RESPONSE_BYTES = 6 * 1024 * 1024
"""Lambda's limit on a synchronous invocation's response payload."""
LOG_MARKER = "\x1e"

_current_request_id = ""


class LambdaContext:
    """The ``context`` argument, with the attributes of the Lambda Python runtime's context object."""

    def __init__(self, request_id: str, deadline_ms: int, invoked_function_arn: str) -> None:
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.client_context = None
        self.identity = None
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _current_request_id
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", ""),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry |= {
                "errorType": record.exc_info[0].__name__,
                "errorMessage": str(record.exc_info[1]),
                "stackTrace": traceback.format_tb(record.exc_info[2]),
            }
        return json.dumps(entry, default=str)


def _configure_root_logger() -> None:
    """A root handler like the Lambda runtime's: tab-separated text or JSON, per the log format."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_RequestIdFilter())
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON":
        handler.setFormatter(_JsonFormatter())
    else:
        formatter = logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
        )
        formatter.converter = time.gmtime
        formatter.default_time_format = "%Y-%m-%dT%H:%M:%S"
        formatter.default_msec_format = ""
        handler.setFormatter(formatter)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "WARNING").upper())


def _error(error_type: str, message: str, error: BaseException | None) -> dict[str, Any]:
    stack = traceback.format_tb(error.__traceback__) if error is not None else []
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": _current_request_id,
        "stackTrace": stack,
    }


def _log_error(error: dict[str, Any]) -> None:
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON":
        entry = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "level": "ERROR",
            "message": error["errorMessage"],
        } | error
        print(json.dumps(entry), flush=True)
        return
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}", "Traceback (most recent call last):"]
    print("\n".join(lines + [line.rstrip("\n") for line in error["stackTrace"]]), flush=True)


def _load_handler(spec: str) -> Callable[[Any, LambdaContext], Any]:
    """Import the handler as the Lambda Python runtime does, raising its error types."""
    module_name, _, function_name = spec.rpartition(".")
    if not module_name:
        raise _InitError(
            "Runtime.MalformedHandlerName", f"Bad handler '{spec}': not enough values to unpack", None
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise _InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}", error
        ) from error
    except SyntaxError as error:
        raise _InitError(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {error}", error
        ) from error
    except Exception as error:
        raise _InitError(type(error).__name__, str(error), error) from error
    handler = getattr(module, function_name, None)
    if handler is None:
        raise _InitError(
            "Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'", None
        )
    result: Callable[[Any, LambdaContext], Any] = handler
    return result


class _InitError(Exception):
    def __init__(self, error_type: str, message: str, cause: BaseException | None) -> None:
        super().__init__(message)
        self.error = _error(error_type, message, cause)


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _invoke(handler: Callable[[Any, LambdaContext], Any], request: dict[str, Any]) -> dict[str, Any]:
    context = LambdaContext(request["requestId"], request["deadlineMs"], request["invokedFunctionArn"])
    try:
        result = handler(request["event"], context)
    except Exception as error:  # noqa: BLE001 (any error of the function is its invocation's result)
        failure = _error(type(error).__name__, str(error), error)
        _log_error(failure)
        return {"type": "error", "error": failure}
    try:
        payload = json.dumps(result, default=_json_default)
    except (TypeError, ValueError) as error:
        return {
            "type": "error",
            "error": _error("Runtime.MarshalError", f"Unable to marshal response: {error}", None),
        }
    if len(payload.encode()) > MAX_RESPONSE_BYTES:
        message = f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
        return {"type": "error", "error": _error("Function.ResponseSizeTooLarge", message, None)}
    return {"type": "result", "payload": payload}


def _send(channel: IO[bytes], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message).encode() + b"\n")
    channel.flush()


def _mark_logs_complete(request_id: str) -> None:
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
        stream.write(f"{LOG_MARKER}{request_id}\n")
        stream.flush()


def main() -> int:
    global _current_request_id
    config = json.loads(sys.argv[1])
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    layer_paths = []
    for layer in config["layers"]:
        layer_paths += [f"{layer}/python/lib/{version}/site-packages", f"{layer}/python"]
    sys.path[:0] = [config["taskRoot"], *layer_paths]
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    inbox = os.fdopen(config["requestFd"], "rb")
    outbox = os.fdopen(config["responseFd"], "wb")
    _configure_root_logger()
    started = time.perf_counter()
    try:
        handler = _load_handler(os.environ["_HANDLER"])
    except _InitError as failure:
        _log_error(failure.error)
        _send(outbox, {"type": "initError", "error": failure.error})
        return 1
    _send(outbox, {"type": "ready", "initMs": (time.perf_counter() - started) * 1000})
    for line in inbox:
        request = json.loads(line)
        _current_request_id = request["requestId"]
        os.environ["_X_AMZN_TRACE_ID"] = request["traceId"]
        outcome = _invoke(handler, request)
        _mark_logs_complete(_current_request_id)
        _send(outbox, outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
