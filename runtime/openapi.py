"""The OpenAPI document at ``/openapi.json``: every answer a client can get, whoever gives it.

FastAPI derives the operations from the routes, with the function's own answers in the error
envelope. In front of the function, API Gateway answers some requests itself with a body of its own,
``{"message": "..."}`` (docs/local-emulator.md): 401 and 403 from the JWT authorizer on
the authenticated routes, 413 for a request too large for the gateway, 429 when the stage throttles,
500 when the function fails and 503 when the integration times out. This module adds those answers
to every operation, each status whose body may come from either side as a ``oneOf`` of both shapes,
and documents the headers those answers carry. The operations that declare the bearer token
(:data:`runtime.identity.bearer_token`) are the ones the authorizer guards.
Every operation can also meet the body-size middleware (400 for a malformed ``Content-Length``, 413
over the limit) and the last-resort 500.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from runtime.settings import RETRY_AFTER_SECONDS

GATEWAY_ERROR = "GatewayError"
ERROR_ENVELOPE = "ErrorEnvelope"
GATEWAY_STATUSES = frozenset({413, 429, 500, 503})
"""What API Gateway may answer on any route."""
AUTHORIZER_STATUSES = frozenset({401, 403})
"""What the JWT authorizer answers on the routes it guards."""
MIDDLEWARE_STATUSES = frozenset({400, 413, 500})
"""What the function answers on any route before (or after) the route's own code."""
_HEADERS: dict[int, dict[str, dict[str, Any]]] = {
    401: {
        "WWW-Authenticate": {
            "description": "Why the token was refused (the authorizer's, or `Bearer` from the function).",
            "schema": {"type": "string"},
        }
    },
    409: {
        "Retry-After": {
            "description": "Seconds to wait before retrying.",
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        }
    },
    503: {
        "Retry-After": {
            "description": f"Seconds to wait ({RETRY_AFTER_SECONDS}); on the function's 503 only.",
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        }
    },
}
_GATEWAY_ERROR_SCHEMA = {
    "title": GATEWAY_ERROR,
    "description": 'API Gateway\'s own answer, e.g. `{"message": "Too Many Requests"}`.',
    "type": "object",
    "properties": {"message": {"type": "string"}},
    "required": ["message"],
    "additionalProperties": False,
}


def install_contract(app: FastAPI) -> None:
    """Serve :func:`contract` as the app's OpenAPI document (built on first request, then kept)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = contract(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def contract(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document for ``app``, with API Gateway's answers and the headers they carry."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    document.setdefault("components", {}).setdefault("schemas", {})[GATEWAY_ERROR] = _GATEWAY_ERROR_SCHEMA
    for operations in document["paths"].values():
        for operation in operations.values():
            _add_answers(operation["responses"], guarded="security" in operation)
    return document


def _add_answers(responses: dict[str, Any], *, guarded: bool) -> None:
    from_function = {int(status) for status in responses if int(status) >= 400} | MIDDLEWARE_STATUSES
    from_gateway = GATEWAY_STATUSES | (AUTHORIZER_STATUSES if guarded else frozenset())
    for status in sorted(from_function | from_gateway):
        shapes = [
            {"$ref": f"#/components/schemas/{name}"}
            for name, gives in ((ERROR_ENVELOPE, from_function), (GATEWAY_ERROR, from_gateway))
            if status in gives
        ]
        schema = shapes[0] if len(shapes) == 1 else {"oneOf": shapes}
        answer: dict[str, Any] = {
            "description": _description(
                status, function=status in from_function, gateway=status in from_gateway
            ),
            "content": {"application/json": {"schema": schema}},
        }
        if status in _HEADERS:
            answer["headers"] = _HEADERS[status]
        responses[str(status)] = answer
    ordered = sorted(responses.items())
    responses.clear()
    responses.update(ordered)


def _description(status: int, *, function: bool, gateway: bool) -> str:
    by = " or ".join(who for who, gives in (("the function", function), ("API Gateway", gateway)) if gives)
    return f"{HTTPStatus(status).phrase} (from {by})"
