"""The HTTP API stand-in: an ASGI application that does what API Gateway does before and after Lambda.

For each request, in API Gateway's order: the request size quotas (413; for the request line and
headers quota the status is an assumption, AWS does not document it), route selection, throttling
(429: the route's own limits where the stage's ``RouteSettings`` give it some, else the stage's),
the CORS preflight answer (only when no route matches the ``OPTIONS`` request: an ``ANY`` or
``OPTIONS`` route takes the preflight, authorizer included, as in API Gateway), no route (404), the
route's JWT authorizer (401/403), the payload 2.0 event, a synchronous invocation with the
integration's timeout (503 when it passes first), and the function's result turned into the HTTP
response (500 when the function fails, times out, is throttled or returns a malformed response), with
the CORS headers of the API's configuration. Each request then gets an access log line in the stage's
own access log format.
"""

from __future__ import annotations

import base64
import functools
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import anyio
import anyio.to_thread

from serverless_fastapi_cdk.toolkit.local_api.events import (
    HttpRequest,
    HttpResponse,
    MalformedResponseError,
    RequestContext,
    build_event,
    gateway_error,
    parse_result,
)
from serverless_fastapi_cdk.toolkit.local_api.jwt_authorizer import (
    Authorization,
    AuthorizationError,
    JwtAuthorizer,
)
from serverless_fastapi_cdk.toolkit.local_api.logs import Console
from serverless_fastapi_cdk.toolkit.local_api.model import ApiSpec, CorsSpec, ThrottleSpec
from serverless_fastapi_cdk.toolkit.local_api.routing import select_route
from serverless_fastapi_cdk.toolkit.local_api.workers import FunctionPool, Invocation, Outcome, ThrottledError

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""HTTP API's request payload limit."""
MAX_REQUEST_LINE_AND_HEADERS_BYTES = 10240
"""HTTP API's quota on the combined size of the request line and the header values."""
_CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class TokenBucket:
    """API Gateway's throttling: ``burst`` tokens, refilled at ``rate`` per second; a request takes one."""

    def __init__(self, spec: ThrottleSpec, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = spec.rate_limit
        self._capacity = float(spec.burst_limit)
        self._tokens = self._capacity
        self._clock = clock
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


@dataclass
class _Record:
    """What the access log may print about one request (``$context`` variables)."""

    values: dict[str, str] = field(default_factory=dict)

    def render(self, log_format: str) -> str:
        return _CONTEXT_VARIABLE.sub(lambda match: self.values.get(match.group(1), "-"), log_format)


def _cors_origin(cors: CorsSpec, origin: str | None) -> str | None:
    if origin is None:
        return None
    if "*" in cors.allow_origins:
        return "*"
    return origin if origin in cors.allow_origins else None


@dataclass(frozen=True, kw_only=True)
class _PreflightAnswer(HttpResponse):
    """API Gateway's own answer to a preflight, which already carries its CORS headers."""


def _preflight(cors: CorsSpec, request: HttpRequest) -> HttpResponse:
    headers: list[tuple[str, str]] = []
    origin = _cors_origin(cors, request.header("origin"))
    if origin is not None:
        requested_headers = request.header("access-control-request-headers") or ""
        methods = cors.allow_methods or ("*",)
        headers += [
            ("access-control-allow-origin", origin),
            (
                "access-control-allow-methods",
                request.header("access-control-request-method") or ""
                if "*" in methods
                else ",".join(methods),
            ),
        ]
        allowed_headers = requested_headers if "*" in cors.allow_headers else ",".join(cors.allow_headers)
        if allowed_headers:
            headers.append(("access-control-allow-headers", allowed_headers))
        if cors.max_age_seconds is not None:
            headers.append(("access-control-max-age", str(cors.max_age_seconds)))
        if cors.allow_credentials:
            headers.append(("access-control-allow-credentials", "true"))
    return _PreflightAnswer(status=204, headers=headers, body=b"")


def _with_cors(cors: CorsSpec, request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """API Gateway drops the integration's CORS headers and adds the configured ones."""
    headers = [(name, value) for name, value in response.headers if not name.startswith("access-control-")]
    origin = _cors_origin(cors, request.header("origin"))
    if origin is not None:
        headers.append(("access-control-allow-origin", origin))
        if cors.allow_credentials:
            headers.append(("access-control-allow-credentials", "true"))
        if cors.expose_headers:
            headers.append(("access-control-expose-headers", ",".join(cors.expose_headers)))
    return HttpResponse(status=response.status, headers=headers, body=response.body)


def _request_line_and_headers_size(request: HttpRequest) -> int:
    target = f"{request.raw_path}?{request.raw_query}" if request.raw_query else request.raw_path
    request_line = f"{request.method} {target} {request.protocol}"
    return len(request_line) + sum(len(value) for _, value in request.headers)


def _request_id() -> str:
    return base64.b64encode(secrets.token_bytes(11)).decode()


class Gateway:
    """ASGI application serving one HTTP API."""

    def __init__(
        self,
        api: ApiSpec,
        *,
        account_id: str,
        pools: Mapping[str, FunctionPool],
        authorizers: Mapping[str, JwtAuthorizer],
        console: Console,
    ) -> None:
        """``pools`` and ``authorizers`` are keyed by the logical id of the function / authorizer."""
        self.api = api
        self.account_id = account_id
        self.pools = pools
        self.authorizers = authorizers
        self.console = console
        self._bucket = TokenBucket(api.throttle) if api.throttle else None
        self._route_buckets = {key: TokenBucket(spec) for key, spec in api.route_throttles.items()}
        capacity = sum(pool.max_environments for pool in pools.values()) + 8
        self._limiter = anyio.CapacityLimiter(capacity)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        started = time.monotonic()
        body, too_large = await self._read_body(receive)
        raw_path = scope.get("raw_path")
        client = scope.get("client")
        request = HttpRequest(
            method=scope["method"],
            raw_path=raw_path.decode("latin-1") if raw_path else quote(scope["path"]),
            raw_query=scope.get("query_string", b"").decode("latin-1"),
            headers=[(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]],
            body=body,
            source_ip=client[0] if client else "127.0.0.1",
            protocol=f"HTTP/{scope.get('http_version', '1.1')}",
        )
        record = _Record()
        now = time.time()
        record.values |= {
            "requestId": _request_id(),
            "identity.sourceIp": request.source_ip,
            "identity.userAgent": request.header("user-agent") or "-",
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": str(int(now * 1000)),
            "httpMethod": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "stage": self.api.stage_name,
            "apiId": self.api.api_id,
            "domainName": (request.header("host") or "").partition(":")[0],
        }
        record.values["extendedRequestId"] = record.values["requestId"]
        if too_large or _request_line_and_headers_size(request) > MAX_REQUEST_LINE_AND_HEADERS_BYTES:
            response = gateway_error(413, "Request Entity Too Large")
        else:
            response = await self._handle(request, record)
        cors_request = request.header("origin") is not None and not isinstance(response, _PreflightAnswer)
        if self.api.cors is not None and cors_request:
            response = _with_cors(self.api.cors, request, response)
        headers = [(name, value) for name, value in response.headers if name != "content-length"]
        headers += [
            ("content-length", str(len(response.body))),
            ("apigw-requestid", record.values["requestId"]),
        ]
        response = HttpResponse(status=response.status, headers=headers, body=response.body)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers
                ],
            }
        )
        await send({"type": "http.response.body", "body": response.body})
        record.values |= {
            "status": str(response.status),
            "responseLength": str(len(response.body)),
            "responseLatency": str(round((time.monotonic() - started) * 1000)),
        }
        self.console.gateway(record.render(self.api.access_log_format or _DEFAULT_ACCESS_LOG))

    @staticmethod
    async def _read_body(receive: Receive) -> tuple[bytes, bool]:
        chunks = bytearray()
        too_large = False
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            if not too_large:
                chunks += message.get("body", b"")
                too_large = len(chunks) > MAX_PAYLOAD_BYTES
                if too_large:
                    chunks.clear()
            if not message.get("more_body", False):
                break
        return bytes(chunks), too_large

    async def _handle(self, request: HttpRequest, record: _Record) -> HttpResponse:
        match = select_route(self.api.routes, request.method, request.raw_path)
        bucket = self._route_buckets.get(match.route.route_key) if match else None
        bucket = bucket or self._bucket
        if bucket is not None and not bucket.take():
            record.values["error.message"] = "Too Many Requests"
            return gateway_error(429, "Too Many Requests")
        is_preflight = (
            request.method == "OPTIONS"
            and request.header("origin") is not None
            and request.header("access-control-request-method") is not None
        )
        if self.api.cors is not None and is_preflight and match is None:
            return _preflight(self.api.cors, request)
        if match is None:
            record.values["error.message"] = "Not Found"
            return gateway_error(404, "Not Found")
        route = match.route
        record.values["routeKey"] = route.route_key
        authorization: Authorization | None = None
        if route.authorizer is not None:
            authorizer = self.authorizers[route.authorizer.logical_id]
            try:
                authorization = await anyio.to_thread.run_sync(
                    authorizer.authorize, request, route.authorization_scopes
                )
            except AuthorizationError as denied:
                record.values["authorizer.error"] = denied.description
                record.values["error.message"] = denied.message
                return gateway_error(
                    denied.status,
                    denied.message,
                    headers=[("www-authenticate", denied.www_authenticate(route.authorization_scopes))],
                )
            record.values["authorizer.claims.sub"] = authorization.claims.get("sub", "-")
        context = RequestContext(
            account_id=self.account_id,
            api_id=self.api.api_id,
            stage=self.api.stage_name,
            request_id=record.values["requestId"],
            route_key=route.route_key,
            path_parameters=match.path_parameters,
            claims=authorization.claims if authorization else None,
            scopes=authorization.scopes if authorization else None,
            time_epoch_ms=int(record.values["requestTimeEpoch"]),
        )
        trace_id = f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"
        event = build_event(request, context, trace_id=trace_id)
        pool = self.pools[route.function.key]
        integration_started = time.monotonic()
        invocation: Invocation | None = None
        with anyio.move_on_after(route.integration_timeout_seconds):
            try:
                invocation = await anyio.to_thread.run_sync(
                    functools.partial(pool.invoke, event, trace_root=trace_id),
                    abandon_on_cancel=True,
                    limiter=self._limiter,
                )
            except ThrottledError:
                record.values["integrationErrorMessage"] = "Rate Exceeded. (TooManyRequestsException)"
                record.values["integration.status"] = record.values["integrationStatus"] = "429"
                return gateway_error(500, "Internal Server Error")
        record.values["integrationLatency"] = str(round((time.monotonic() - integration_started) * 1000))
        if invocation is None:
            record.values["integrationErrorMessage"] = "Integration timeout"
            return gateway_error(503, "Service Unavailable")
        return self._response(invocation, record)

    @staticmethod
    def _response(invocation: Invocation, record: _Record) -> HttpResponse:
        record.values |= {
            "integration.requestId": invocation.request_id,
            "awsEndpointRequestId": invocation.request_id,
            "integration.status": "200",
            "integrationStatus": "200",
        }
        if invocation.outcome is not Outcome.SUCCESS or invocation.payload is None:
            error = invocation.error or {}
            record.values["integrationErrorMessage"] = str(
                error.get("errorMessage", invocation.outcome.value)
            )
            record.values["integration.error"] = str(error.get("errorType", ""))
            return gateway_error(500, "Internal Server Error")
        try:
            return parse_result(invocation.payload)
        except MalformedResponseError as malformed:
            record.values["integrationErrorMessage"] = str(malformed)
            return gateway_error(500, "Internal Server Error")


_DEFAULT_ACCESS_LOG = (
    "$context.identity.sourceIp - - [$context.requestTime] "
    '"$context.httpMethod $context.path $context.protocol" '
    "$context.status $context.responseLength $context.requestId"
)
"""API Gateway's CLF example, for a stage without access logging."""
