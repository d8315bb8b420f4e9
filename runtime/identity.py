"""Who is calling: the ``sub`` of the bearer access token, verified by the function itself.

API Gateway's JWT authorizer checks the token and copies its claims into the event, but a direct
invoke of the function skips the authorizer and can write any claims there. So the claims in the event
are never read: the ``Authorization`` header's token is verified here (:mod:`runtime.token_verifier`:
signature against the issuer's JWKS, issuer, ``token_use``, client, expiry) against the issuer and
clients the function's environment names. Without a verified token the request is a 401 that touches
nothing; outside Lambda without that configuration (uvicorn without an issuer) every authenticated
route answers 401.

Only access tokens are accepted: a Cognito ID token carries the app client id as ``aud``, so the JWT
authorizer, configured with that client as its audience, lets it through; its ``token_use`` claim
(``id``) is what tells it apart (docs/aws-fidelity.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from runtime.errors import UnauthorizedError
from runtime.token_verifier import InvalidTokenError, TokenVerifier, verifier_from_environ

MAX_SUB_LENGTH = 256

bearer_token = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    bearerFormat="JWT",
    description="An access token of the API's issuer, verified by the JWT authorizer and by the service.",
)
"""Declares the token in the OpenAPI document; :func:`caller_id` verifies it."""

_verifier: TokenVerifier | None = None


def configure() -> TokenVerifier | None:
    """Build the verifier the environment configures and start fetching its keys in the background.

    Called during INIT; again after a SnapStart restore, where the keys held stay in use until the new
    download lands. None (every authenticated request a 401) where the environment names no issuer.
    """
    global _verifier
    if _verifier is None:
        try:
            _verifier = verifier_from_environ(os.environ)
        except ValueError:
            return None
    _verifier.jwks.refresh_in_background()
    return _verifier


def bearer_token_of(header: str) -> str:
    """The token of an ``Authorization`` value: the token alone, or prefixed with ``Bearer``, as the HTTP
    API's JWT authorizer accepts it; ``""`` for any other scheme."""
    scheme, _, rest = header.strip().partition(" ")
    if not rest:
        return scheme
    return rest.strip() if scheme.lower() == "bearer" else ""


def caller_id(request: Request) -> str:
    """FastAPI dependency: the verified caller's ``sub``, or a 401."""
    token = bearer_token_of(request.headers.get("authorization") or "")
    verifier = _verifier or configure()
    if not token or verifier is None:
        raise UnauthorizedError
    try:
        claims = verifier.verify(token)
    except InvalidTokenError as error:
        raise UnauthorizedError from error
    sub = claims.get("sub")
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
