"""HTTP request -> API Gateway payload format 2.0 event, and Lambda result -> HTTP response.

Follows "Working with AWS Lambda proxy integrations for HTTP APIs" in the API Gateway developer
guide: lower-cased headers with duplicates joined by commas, cookies moved to ``cookies``, duplicate
query parameters joined by commas, ``rawPath``/``rawQueryString`` as received, a base64 body for
binary content, and on the way back the format 2.0 rule that a result without ``statusCode`` is the
JSON body of a 200.

The guide does not say which request content types count as text. API Gateway was observed to pass
``text/*``, ``application/json``, ``application/xml`` and ``application/javascript`` as UTF-8 text and
to base64-encode everything else, including a missing content type and form posts; this module does
the same.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")


@dataclass(frozen=True, kw_only=True)
class HttpRequest:
    """A request as the client sent it."""

    method: str
    raw_path: str
    """Path as received, still percent-encoded, without the query string."""
    raw_query: str
    headers: list[tuple[str, str]]
    """Header fields in the order received, names as sent."""
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (duplicates joined by commas), or None."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return ",".join(values) if values else None


@dataclass(frozen=True, kw_only=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True, kw_only=True)
class RequestContext:
    """What API Gateway knows about a request besides the request itself."""

    account_id: str
    api_id: str
    stage: str
    request_id: str
    route_key: str
    path_parameters: dict[str, str]
    claims: dict[str, str] | None = None
    """The JWT's claims when a JWT authorizer allowed the request."""
    scopes: list[str] | None = None
    time_epoch_ms: int


class MalformedResponseError(ValueError):
    """The function returned a result API Gateway cannot turn into an HTTP response."""


def gateway_error(status: int, message: str, *, headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    """A response produced by API Gateway itself: ``{"message": ...}``."""
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return HttpResponse(
        status=status, headers=[("content-type", "application/json"), *(headers or [])], body=body
    )


def is_text(content_type: str | None) -> bool:
    """Whether API Gateway passes a body of this content type as text rather than base64."""
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type in _TEXT_TYPES


def _cookies(request: HttpRequest) -> list[str]:
    cookies = []
    for name, value in request.headers:
        if name.lower() == "cookie":
            cookies += [part.strip() for part in value.split(";") if part.strip()]
    return cookies


def _headers(request: HttpRequest, *, trace_id: str, port: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {request.source_ip}" if forwarded else request.source_ip
    headers["x-forwarded-port"] = port
    headers["x-forwarded-proto"] = "http"
    headers["x-amzn-trace-id"] = trace_id
    return headers


def _query_parameters(raw_query: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def _request_time(epoch_ms: int) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch_ms / 1000))


def build_event(request: HttpRequest, context: RequestContext, *, trace_id: str) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway sends to a Lambda proxy integration for ``request``."""
    host = request.header("host") or "localhost"
    domain, _, port = host.partition(":")
    headers = _headers(request, trace_id=trace_id, port=port or "80")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": context.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    cookies = _cookies(request)
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if request.raw_query:
        event["queryStringParameters"] = _query_parameters(request.raw_query)
    request_context: dict[str, Any] = {
        "accountId": context.account_id,
        "apiId": context.api_id,
    }
    if context.claims is not None:
        request_context["authorizer"] = {"jwt": {"claims": context.claims, "scopes": context.scopes}}
    request_context |= {
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": context.request_id,
        "routeKey": context.route_key,
        "stage": context.stage,
        "time": _request_time(context.time_epoch_ms),
        "timeEpoch": context.time_epoch_ms,
    }
    event["requestContext"] = request_context
    if request.body:
        if is_text(request.header("content-type")):
            try:
                event["body"] = request.body.decode()
                event["isBase64Encoded"] = False
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(request.body).decode()
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    if context.path_parameters:
        event["pathParameters"] = {name: unquote(value) for name, value in context.path_parameters.items()}
    return event


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedResponseError(f"header value {value!r} is not a string")


def parse_result(payload: str) -> HttpResponse:
    """The HTTP response for the function's JSON result, as API Gateway interprets format 2.0.

    Raises :class:`MalformedResponseError` for a result that has a ``statusCode`` but is not a valid
    response (API Gateway answers those with 500).
    """
    try:
        result = json.loads(payload)
    except json.JSONDecodeError as error:
        raise MalformedResponseError(f"the function's result is not JSON: {error}") from error
    if not (isinstance(result, dict) and "statusCode" in result):
        return HttpResponse(status=200, headers=[("content-type", "application/json")], body=payload.encode())
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedResponseError(f"statusCode {status!r} is not an HTTP status")
    headers_in = result.get("headers") or {}
    cookies = result.get("cookies") or []
    body = result.get("body")
    if not isinstance(headers_in, dict) or not isinstance(cookies, list):
        raise MalformedResponseError("headers must be an object and cookies a list")
    if body is not None and not isinstance(body, str):
        raise MalformedResponseError("body must be a string")
    headers = [(str(name).lower(), _header_value(value)) for name, value in headers_in.items()]
    headers += [("set-cookie", str(cookie)) for cookie in cookies]
    raw = (body or "").encode()
    if result.get("isBase64Encoded") is True:
        try:
            raw = base64.b64decode(body or "", validate=True)
        except binascii.Error as error:
            raise MalformedResponseError(
                f"isBase64Encoded is true but the body is not base64: {error}"
            ) from error
    return HttpResponse(status=status, headers=headers, body=raw)
