"""Who is calling: the ``sub`` claim that API Gateway's JWT authorizer verified, of an access token.

Mangum puts the Lambda event in the ASGI scope (``aws.event``); the authorizer's claims are under
``requestContext.authorizer.jwt.claims``. Without them the request is a 401: there is no other way
in, so outside Lambda (uvicorn, tests without an event) every authenticated route answers 401.

Only access tokens are accepted. A Cognito ID token carries the app client id as ``aud``, so the JWT
authorizer, configured with that client as its audience, lets it through; its ``token_use`` claim
(``id``) is what tells it apart. Tokens of a Cognito issuer must say ``token_use: access``, and a
token of any issuer that names another ``token_use`` is refused too (docs/aws-fidelity.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from runtime.errors import UnauthorizedError
from serverless_fastapi_cdk.runtime import jwt_claims

MAX_SUB_LENGTH = 256
ACCESS_TOKEN_USE = "access"  # noqa: S105 (a claim value, not a secret)
COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/[^/]+$")

bearer_token = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    bearerFormat="JWT",
    description="An access token of the API's issuer, verified by API Gateway's JWT authorizer.",
)
"""Declares the token in the OpenAPI document; checking it is the authorizer's job, not this one's."""


def caller_id(request: Request) -> str:
    """FastAPI dependency: the caller's ``sub``, or a 401."""
    claims = jwt_claims(request.scope.get("aws.event"))
    if claims is None or not _is_access_token(claims):
        raise UnauthorizedError
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip() or len(sub) > MAX_SUB_LENGTH:
        raise UnauthorizedError
    return sub


def _is_access_token(claims: Mapping[str, Any]) -> bool:
    token_use = claims.get("token_use")
    if token_use is not None:
        return bool(token_use == ACCESS_TOKEN_USE)
    issuer = claims.get("iss")
    return not (isinstance(issuer, str) and COGNITO_ISSUER.match(issuer))


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
