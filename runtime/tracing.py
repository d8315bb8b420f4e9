"""X-Ray tracing without the X-Ray SDK: subsegment documents sent over UDP to the daemon Lambda runs.

With active tracing, Lambda records the function's segment itself and passes its trace header to
each invocation in ``_X_AMZN_TRACE_ID`` (``Root=<trace id>;Parent=<segment id>;Sampled=<0|1>``), and
runs an X-Ray daemon listening on UDP at ``AWS_XRAY_DAEMON_ADDRESS``. The service adds subsegments to
that segment: ``## handler`` for the invocation (annotated ``ColdStart`` and ``Service``), one
``## <module>.<class>.<method>`` per repository call (:meth:`Tracer.capture_method`), and one per AWS
SDK call below it, named by the service's endpoint prefix (``dynamodb``), with the ``aws`` fields
X-Ray's service map reads (operation, region, request id, retries, table name). Each subsegment goes
to the daemon as its own document when it ends: the daemon protocol's JSON header line, then the
document. The SDK call's request carries a trace header naming its subsegment, so DynamoDB's own
segment links to it.

Names and annotations are those Powertools' Tracer used, so existing X-Ray queries keep working. Nothing
is recorded outside Lambda (no ``LAMBDA_TASK_ROOT``), with ``POWERTOOLS_TRACE_DISABLED=true``, for an
invocation without a trace header or one that is not sampled. The current subsegment is a context
variable, so the repository call made in FastAPI's worker thread still nests under ``## handler``.
Sending is best effort: a daemon that is absent loses a datagram, never a request.
"""

from __future__ import annotations

import functools
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.client import BaseClient

TRACE_HEADER_VARIABLE = "_X_AMZN_TRACE_ID"
TRACE_ID = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")
SEGMENT_ID = re.compile(r"[0-9a-f]{16}")
DAEMON_ADDRESS_VARIABLE = "AWS_XRAY_DAEMON_ADDRESS"
DEFAULT_DAEMON_ADDRESS = "127.0.0.1:2000"
DISABLED_VARIABLE = "POWERTOOLS_TRACE_DISABLED"
PROTOCOL_HEADER = b'{"format":"json","version":1}\n'
"""The line the daemon expects before every segment document."""
HANDLER_SUBSEGMENT = "## handler"
OUTBOUND_TRACE_HEADER = "X-Amzn-Trace-Id"
_SUBSEGMENT_CONTEXT_KEY = "runtime.tracing.subsegment"
_THROTTLE_CODES = frozenset(
    {"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"}
)

_current: ContextVar[Subsegment | None] = ContextVar("runtime.tracing.current", default=None)


@dataclass(frozen=True)
class TraceHeader:
    """The parts of an X-Ray trace header the service uses."""

    root: str
    parent: str
    sampled: bool

    @classmethod
    def parse(cls, value: str | None) -> TraceHeader | None:
        """``Root=...;Parent=...;Sampled=1`` -> a header; None without a well-formed root and parent.

        The ids are copied into outgoing request headers and daemon documents, so only X-Ray's own forms
        pass (``1-<8 hex>-<24 hex>``, 16 hex digits): nothing else, no CR or LF, leaves the process.
        """
        fields = dict(part.strip().partition("=")[::2] for part in (value or "").split(";"))
        root, parent = fields.get("Root", ""), fields.get("Parent", "")
        if not TRACE_ID.fullmatch(root) or not SEGMENT_ID.fullmatch(parent):
            return None
        return cls(root=root, parent=parent, sampled=fields.get("Sampled") == "1")


def new_id() -> str:
    """A segment id: 16 hexadecimal digits, random."""
    return os.urandom(8).hex()


@dataclass
class Subsegment:
    """One unit of work of a trace; :meth:`document` is what X-Ray stores."""

    name: str
    trace_id: str
    parent_id: str
    namespace: str | None = None
    id: str = field(default_factory=new_id)
    start_time: float = field(default_factory=time.time)
    annotations: dict[str, str | int | float | bool] = field(default_factory=dict)
    aws: dict[str, Any] = field(default_factory=dict)
    http_status: int | None = None
    error: bool = False
    throttle: bool = False
    fault: bool = False
    exception: BaseException | None = None

    def record_exception(self, exception: BaseException) -> None:
        """A fault, unless the exception says it answers with a 4xx (an expected ``ApiError``)."""
        self.exception = exception
        status = getattr(exception, "status_code", 500)
        if isinstance(status, int) and 400 <= status < 500:
            self.error = True
        else:
            self.fault = True

    def document(self, end_time: float) -> dict[str, Any]:
        document: dict[str, Any] = {
            "type": "subsegment",
            "name": self.name,
            "id": self.id,
            "trace_id": self.trace_id,
            "parent_id": self.parent_id,
            "start_time": self.start_time,
            "end_time": end_time,
        }
        if self.namespace:
            document["namespace"] = self.namespace
        if self.annotations:
            document["annotations"] = self.annotations
        if self.aws:
            document["aws"] = self.aws
        if self.http_status is not None:
            document["http"] = {"response": {"status": self.http_status}}
        for flag in ("error", "throttle", "fault"):
            if getattr(self, flag):
                document[flag] = True
        if self.exception is not None:
            exception = self.exception
            document["cause"] = {
                "exceptions": [{"id": new_id(), "type": type(exception).__name__, "message": str(exception)}]
            }
        return document


class Tracer:
    """Subsegments of the current invocation, sent to the X-Ray daemon as each one ends."""

    def __init__(self, *, service: str | None = None, enabled: bool | None = None) -> None:
        self.service = service if service is not None else os.environ.get("POWERTOOLS_SERVICE_NAME")
        self.enabled = _enabled_in_environment() if enabled is None else enabled
        self._cold_start = True
        self._socket: socket.socket | None = None

    def capture_lambda_handler[**P, R](self, handler: Callable[P, R]) -> Callable[P, R]:
        """Record each invocation as ``## handler``, child of the function's segment in the trace header."""

        @functools.wraps(handler)
        def traced(*args: P.args, **kwargs: P.kwargs) -> R:
            cold_start, self._cold_start = self._cold_start, False
            header = TraceHeader.parse(os.environ.get(TRACE_HEADER_VARIABLE)) if self.enabled else None
            if header is None or not header.sampled:
                return handler(*args, **kwargs)
            subsegment = Subsegment(name=HANDLER_SUBSEGMENT, trace_id=header.root, parent_id=header.parent)
            subsegment.annotations["ColdStart"] = cold_start
            if self.service:
                subsegment.annotations["Service"] = self.service
            with self._recording(subsegment):
                return handler(*args, **kwargs)

        return traced

    def capture_method[**P, R](self, method: Callable[P, R]) -> Callable[P, R]:
        """Record each call of ``method`` as ``## <module>.<qualified name>`` under the current subsegment."""
        name = f"## {method.__module__}.{method.__qualname__}"

        @functools.wraps(method)
        def traced(*args: P.args, **kwargs: P.kwargs) -> R:
            with self.subsegment(name):
                return method(*args, **kwargs)

        return traced

    @contextmanager
    def subsegment(self, name: str, *, namespace: str | None = None) -> Iterator[Subsegment | None]:
        """A child of the current subsegment for the block; None (and nothing sent) if nothing is traced."""
        parent = _current.get()
        if parent is None:
            yield None
            return
        subsegment = Subsegment(name=name, trace_id=parent.trace_id, parent_id=parent.id, namespace=namespace)
        with self._recording(subsegment):
            yield subsegment

    def instrument(self, client: BaseClient) -> None:
        """Record each call of this botocore client as a subsegment of the current one."""
        if not self.enabled:
            return
        events, region = client.meta.events, client.meta.region_name
        events.register("before-parameter-build", functools.partial(self._start_call, region))
        events.register("before-call", self._propagate)
        events.register("after-call", self._after_call)
        events.register("after-call-error", self._after_call_error)

    def _start_call(
        self, region: str, *, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        parent = _current.get()
        if parent is None:
            return
        subsegment = Subsegment(
            name=model.service_model.endpoint_prefix,
            trace_id=parent.trace_id,
            parent_id=parent.id,
            namespace="aws",
            aws={"operation": model.name, "region": region},
        )
        if "TableName" in params:
            subsegment.aws["table_name"] = params["TableName"]
        context[_SUBSEGMENT_CONTEXT_KEY] = subsegment

    def _propagate(self, *, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        """Name the call's subsegment as the parent in the request's trace header."""
        subsegment: Subsegment | None = context.get(_SUBSEGMENT_CONTEXT_KEY)
        if subsegment is not None:
            header = f"Root={subsegment.trace_id};Parent={subsegment.id};Sampled=1"
            params.setdefault("headers", {})[OUTBOUND_TRACE_HEADER] = header

    def _after_call(self, *, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        subsegment: Subsegment | None = context.pop(_SUBSEGMENT_CONTEXT_KEY, None)
        if subsegment is None:
            return
        metadata = parsed.get("ResponseMetadata", {})
        subsegment.aws["request_id"] = metadata.get("RequestId")
        subsegment.aws["retries"] = metadata.get("RetryAttempts", 0)
        status = metadata.get("HTTPStatusCode")
        subsegment.http_status = status
        if isinstance(status, int) and status >= 400:
            code = parsed.get("Error", {}).get("Code")
            subsegment.throttle = status == 429 or code in _THROTTLE_CODES
            subsegment.fault = status >= 500
            subsegment.error = status < 500
        self._send(subsegment.document(time.time()))

    def _after_call_error(self, *, exception: BaseException, context: dict[str, Any], **_: Any) -> None:
        subsegment: Subsegment | None = context.pop(_SUBSEGMENT_CONTEXT_KEY, None)
        if subsegment is not None:
            subsegment.exception, subsegment.fault = exception, True
            self._send(subsegment.document(time.time()))

    @contextmanager
    def _recording(self, subsegment: Subsegment) -> Iterator[None]:
        token = _current.set(subsegment)
        try:
            yield
        except BaseException as exception:
            subsegment.record_exception(exception)
            raise
        finally:
            _current.reset(token)
            self._send(subsegment.document(time.time()))

    def _send(self, document: dict[str, Any]) -> None:
        datagram = PROTOCOL_HEADER + json.dumps(document, separators=(",", ":")).encode()
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self._socket.setblocking(False)
            address = daemon_address()
            if address is not None:
                self._socket.sendto(datagram, address)
        except (OSError, ValueError):
            return


def daemon_address() -> tuple[str, int] | None:
    """Where the daemon listens for UDP: ``host:port``, or the ``udp:`` part of ``tcp:... udp:...``;
    None when the variable holds neither (tracing then sends nothing rather than fail a request)."""
    parts = (os.environ.get(DAEMON_ADDRESS_VARIABLE) or DEFAULT_DAEMON_ADDRESS).split()
    udp = [part.removeprefix("udp:") for part in parts if not part.startswith("tcp:")]
    host, _, port = (udp[0] if udp else DEFAULT_DAEMON_ADDRESS).rpartition(":")
    if not host or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port)


def _enabled_in_environment() -> bool:
    """On in Lambda (``LAMBDA_TASK_ROOT`` set) unless ``POWERTOOLS_TRACE_DISABLED`` is true."""
    disabled = os.environ.get(DISABLED_VARIABLE, "").strip().lower() in {"1", "true", "yes", "on"}
    return bool(os.environ.get("LAMBDA_TASK_ROOT")) and not disabled
