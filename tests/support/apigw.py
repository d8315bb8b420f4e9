"""API Gateway HTTP API events (payload format 2.0), a Lambda context, and decoded responses.

The events have the shape API Gateway sends to a Lambda integration on the ``$default`` stage: raw
path and query string, lower-case headers, the JWT authorizer's claims (all strings) under
``requestContext.authorizer.jwt``, and a body that is plain text or base64-encoded. The bearer token
of a signed-in caller is a real access token of the tests' issuer (:mod:`tests.support.token_issuer`),
the only thing the function believes; the claims in the event are what the authorizer would copy.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

API_ID = "a1b2c3d4e5"
ACCOUNT_ID = "123456789012"
DOMAIN = f"{API_ID}.execute-api.us-east-1.amazonaws.com"
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example"
CLIENT_ID = "4k1example0client0id0abcde"
_NUMERIC_CLAIMS = frozenset({"exp", "iat", "nbf", "auth_time"})

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def jwt_claims(sub: str, **extra: str) -> dict[str, str]:
    """Claims of a Cognito access token as the JWT authorizer passes them (every value a string)."""
    now = int(time.time())
    return {
        "sub": sub,
        "iss": ISSUER,
        "client_id": CLIENT_ID,
        "token_use": "access",
        "scope": "openid",
        "auth_time": str(now - 60),
        "iat": str(now - 60),
        "exp": str(now + 3600),
        "jti": str(uuid.uuid4()),
        "username": sub,
        **extra,
    }


def http_api_event(
    method: str,
    path: str,
    *,
    sub: str | None = None,
    claims: Mapping[str, str] | None = None,
    query: Mapping[str, str] | str | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes | str | Mapping[str, Any] | list[Any] | None = None,
    base64_body: bool = False,
    request_id: str | None = None,
) -> dict[str, Any]:
    """A payload 2.0 event for ``method path`` on the ``$default`` stage.

    ``sub`` (or full ``claims``) adds the JWT authorizer's context; without either, the event is what
    an unauthenticated route receives. A mapping or list ``body`` is sent as JSON with
    ``content-type: application/json`` unless ``headers`` say otherwise.
    """
    raw_query = query if isinstance(query, str) else urlencode(dict(query or {}))
    event_headers = {
        "accept": "application/json",
        "host": DOMAIN,
        "user-agent": "test-client/1.0",
        "x-amzn-trace-id": f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}",
        "x-forwarded-for": "203.0.113.10",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    payload: bytes | None = None
    if isinstance(body, Mapping | list):
        payload = json.dumps(body, ensure_ascii=False).encode()
        event_headers["content-type"] = "application/json"
    elif isinstance(body, str):
        payload = body.encode()
    elif body is not None:
        payload = body
    if payload is not None:
        event_headers["content-length"] = str(len(payload))
    if sub is not None or claims is not None:
        event_headers["authorization"] = f"Bearer {signed_token(sub, claims)}"
    event_headers.update({name.lower(): value for name, value in (headers or {}).items()})

    request_context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": DOMAIN,
        "domainPrefix": API_ID,
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.10",
            "userAgent": event_headers["user-agent"],
        },
        "requestId": request_id or _gateway_request_id(),
        "routeKey": "$default",
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
        "timeEpoch": int(time.time() * 1000),
    }
    if sub is not None or claims is not None:
        request_context["authorizer"] = {
            "jwt": {"claims": dict(claims) if claims is not None else jwt_claims(sub or ""), "scopes": None}
        }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": event_headers,
        "requestContext": request_context,
        "isBase64Encoded": base64_body,
    }
    if raw_query:
        event["queryStringParameters"] = _query_parameters(raw_query)
    if payload is not None:
        event["body"] = base64.b64encode(payload).decode() if base64_body else payload.decode()
    return event


def signed_token(sub: str | None, claims: Mapping[str, str] | None = None) -> str:
    """An access token of the tests' issuer for ``sub``, or carrying ``claims`` over its own."""
    from tests.support.token_issuer import session_issuer

    if claims is None:
        return session_issuer().mint(sub or "")
    overrides: dict[str, Any] = {
        name: int(value) if name in _NUMERIC_CLAIMS else value for name, value in claims.items()
    }
    return session_issuer().mint(str(claims.get("sub", "")), overrides={"sub": None} | overrides)


@dataclass
class FakeLambdaContext:
    """The attributes of the Lambda context object that Powertools and Mangum read."""

    function_name: str = "items-service"
    function_version: str = "7"
    invoked_function_arn: str = f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:items-service:live"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/items-service"
    log_stream_name: str = "2024/01/01/[7]0123456789abcdef"
    remaining_time_in_millis: int = 10_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_time_in_millis


@dataclass(frozen=True)
class HttpResponse:
    """A Lambda proxy response (payload 2.0) with its body decoded."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_code(self) -> str:
        """The ``error.code`` of an error envelope."""
        code: str = self.json()["error"]["code"]
        return code


def invoke(handler: LambdaHandler, event: dict[str, Any], context: Any = None) -> HttpResponse:
    """Call a Lambda handler with ``event`` as the Lambda runtime would, and decode its response."""
    result = handler(event, context or FakeLambdaContext())
    raw_body = result.get("body") or ""
    body = base64.b64decode(raw_body) if result.get("isBase64Encoded") else raw_body.encode()
    headers = {name.lower(): value for name, value in result.get("headers", {}).items()}
    return HttpResponse(status=result["statusCode"], headers=headers, body=body)


def _gateway_request_id() -> str:
    """An id shaped like API Gateway's (e.g. ``JKJaXmPLvHcESHA=``)."""
    return base64.b64encode(secrets.token_bytes(10)).decode()


def _query_parameters(raw_query: str) -> dict[str, str]:
    """API Gateway's ``queryStringParameters``: repeated names joined with commas."""
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


@dataclass(frozen=True)
class LambdaApi:
    """Send requests through a Lambda handler as API Gateway would, optionally as a signed-in user."""

    handler: LambdaHandler
    sub: str | None = None

    def as_user(self, sub: str | None) -> LambdaApi:
        return LambdaApi(self.handler, sub)

    def request(self, method: str, path: str, **event_options: Any) -> HttpResponse:
        return invoke(self.handler, http_api_event(method, path, sub=self.sub, **event_options))

    def get(self, path: str, **event_options: Any) -> HttpResponse:
        return self.request("GET", path, **event_options)

    def post(self, path: str, **event_options: Any) -> HttpResponse:
        return self.request("POST", path, **event_options)

    def put(self, path: str, **event_options: Any) -> HttpResponse:
        return self.request("PUT", path, **event_options)

    def delete(self, path: str, **event_options: Any) -> HttpResponse:
        return self.request("DELETE", path, **event_options)
