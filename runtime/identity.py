"""Who is calling: the ``sub`` claim that API Gateway's JWT authorizer verified.

Mangum puts the Lambda event in the ASGI scope (``aws.event``); the authorizer's claims are under
``requestContext.authorizer.jwt.claims``. Without them the request is a 401: there is no other way
in, so outside Lambda (uvicorn, tests without an event) every authenticated route answers 401.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request

from runtime.errors import UnauthorizedError

MAX_SUB_LENGTH = 256


def caller_id(request: Request) -> str:
    """FastAPI dependency: the caller's ``sub``, or a 401."""
    claims = _path(request.scope.get("aws.event"), "requestContext", "authorizer", "jwt", "claims")
    sub = claims.get("sub") if isinstance(claims, Mapping) else None
    if not isinstance(sub, str) or not sub.strip() or len(sub) > MAX_SUB_LENGTH:
        raise UnauthorizedError
    return sub


def _path(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
