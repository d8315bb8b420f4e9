"""Who is calling: the ``sub`` claim that API Gateway's JWT authorizer verified.

Mangum puts the Lambda event in the ASGI scope (``aws.event``); the authorizer's claims are under
``requestContext.authorizer.jwt.claims``. Without them the request is a 401: there is no other way
in, so outside Lambda (uvicorn, tests without an event) every authenticated route answers 401.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from runtime.errors import UnauthorizedError

MAX_SUB_LENGTH = 256

bearer_token = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    bearerFormat="JWT",
    description="An access token of the API's issuer, verified by API Gateway's JWT authorizer.",
)
"""Declares the token in the OpenAPI document; checking it is the authorizer's job, not this one's."""


def caller_id(request: Request) -> str:
    """FastAPI dependency: the caller's ``sub``, or a 401."""
    claims = _path(request.scope.get("aws.event"), "requestContext", "authorizer", "jwt", "claims")
    sub = claims.get("sub") if isinstance(claims, Mapping) else None
    if not isinstance(sub, str) or not sub.strip() or len(sub) > MAX_SUB_LENGTH:
        raise UnauthorizedError
    return sub


class AuthenticatedRoute(APIRoute):
    """A route that answers 401 before anything else about the request is looked at.

    FastAPI reads and validates the body before it runs dependencies, so a dependency alone would
    let a caller without identity learn that their body is malformed (422) before being refused.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def authenticated(request: Request) -> Response:
            caller_id(request)
            return await handle(request)

        return authenticated


def _path(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
