"""HTTP API JWT authorizers, validating tokens the way API Gateway documents it.

For a route with a JWT authorizer, API Gateway reads the token from the identity source (bare or
prefixed with ``Bearer``), fetches the issuer's keys from the ``jwks_uri`` of its OpenID discovery
document, accepts only RSA algorithms, and requires a ``kid`` naming one of those keys, a valid
signature, ``iss`` equal to the configured issuer, ``aud`` (or, only when there is no ``aud``,
``client_id``) among the configured audiences, ``exp`` in the future, ``nbf`` and ``iat`` not in the
future, and, when the route lists scopes, one of them in ``scope``/``scp``. Failures are 401
``{"message":"Unauthorized"}`` with a ``www-authenticate`` header saying why (403 ``Forbidden`` for
missing scopes). Claims reach the function as strings, as API Gateway passes them.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import httpx
import jwt

from serverless_fastapi_cdk.toolkit.local_api.events import HttpRequest

RSA_ALGORITHMS = ("RS256", "RS384", "RS512")
JWKS_REFRESH_INTERVAL_SECONDS = 60.0
"""How often an unknown ``kid`` may trigger a new JWKS download."""


class AuthorizationError(Exception):
    """The request is denied; ``status`` is 401 or 403 and ``description`` says why."""

    def __init__(self, status: int, description: str, *, error: str = "invalid_token") -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.error = error

    @property
    def message(self) -> str:
        return "Unauthorized" if self.status == 401 else "Forbidden"

    def www_authenticate(self, scopes: tuple[str, ...]) -> str:
        """The ``www-authenticate`` header API Gateway sends with the denial."""
        description = self.description.replace('"', "'")
        return f'Bearer scope="{" ".join(scopes)}" error="{self.error}" error_description="{description}"'


@dataclass(frozen=True)
class Authorization:
    claims: dict[str, str]
    scopes: list[str] | None
    """The token's scopes when the route requires scopes, else None (as API Gateway sends it)."""


class JwksClient:
    """Downloads and caches an issuer's signing keys through its OpenID discovery document."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def _fetch(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            discovery = client.get(f"{self.issuer.rstrip('/')}/.well-known/openid-configuration")
            discovery.raise_for_status()
            keys = client.get(discovery.json()["jwks_uri"])
            keys.raise_for_status()
        self._keys = {key["kid"]: key for key in keys.json().get("keys", []) if "kid" in key}
        self._fetched_at = time.monotonic()

    def key(self, kid: str) -> dict[str, Any] | None:
        with self._lock:
            stale = (
                self._fetched_at is None
                or time.monotonic() - self._fetched_at > JWKS_REFRESH_INTERVAL_SECONDS
            )
            if kid not in self._keys and stale:
                self._fetch()
            return self._keys.get(kid)


def claim_string(value: Any) -> str:
    """A claim as API Gateway passes it to the integration: numbers and lists become strings."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(claim_string(item) for item in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def token_scopes(claims: dict[str, Any]) -> list[str]:
    """The scopes a token grants: ``scope`` (space separated) or ``scp`` (a list or a string)."""
    raw = claims.get("scope", claims.get("scp", ""))
    if isinstance(raw, list):
        return [str(scope) for scope in raw]
    return str(raw).split()


class JwtAuthorizer:
    """One authorizer of the API, bound to the issuer whose keys it trusts."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: tuple[str, ...],
        identity_source: str,
        jwks: JwksClient,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.identity_source = identity_source
        self._jwks = jwks

    def _token(self, request: HttpRequest) -> str | None:
        kind, _, name = self.identity_source.removeprefix("$request.").partition(".")
        if kind == "header":
            value = request.header(name)
        elif kind == "querystring":
            value = next(
                (v for k, v in parse_qsl(request.raw_query, keep_blank_values=True) if k == name), None
            )
        else:
            raise ValueError(f"identity source {self.identity_source!r} is not emulated")
        if value is None:
            return None
        value = value.strip()
        if value[:7].lower() == "bearer ":
            value = value[7:].strip()
        return value or None

    def authorize(self, request: HttpRequest, required_scopes: tuple[str, ...]) -> Authorization:
        """The token's claims if API Gateway lets ``request`` through; else :class:`AuthorizationError`."""
        token = self._token(request)
        if token is None:
            raise AuthorizationError(401, "no token in the identity source " + self.identity_source)
        claims = self._verified_claims(token)
        if claims.get("iss") != self.issuer:
            raise AuthorizationError(401, "the token does not have a valid issuer")
        if not self._audience_matches(claims):
            raise AuthorizationError(401, "the token does not have a valid audience")
        scopes = token_scopes(claims)
        if required_scopes and not set(required_scopes) & set(scopes):
            raise AuthorizationError(
                403,
                f"the token does not have the required scopes {list(required_scopes)}",
                error="insufficient_scope",
            )
        return Authorization(
            claims={name: claim_string(value) for name, value in claims.items()},
            scopes=scopes if required_scopes else None,
        )

    def _audience_matches(self, claims: dict[str, Any]) -> bool:
        if "aud" in claims:
            audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
            return bool(set(map(str, audiences)) & set(self.audience))
        return str(claims.get("client_id")) in self.audience

    def _verified_claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as error:
            raise AuthorizationError(401, "the token is not a valid JWT") from error
        algorithm = header.get("alg")
        if algorithm not in RSA_ALGORITHMS:
            raise AuthorizationError(401, f"the token's signing algorithm {algorithm!r} is not supported")
        kid = header.get("kid")
        try:
            jwk = self._jwks.key(str(kid)) if kid else None
        except (httpx.HTTPError, ValueError, KeyError) as error:
            raise AuthorizationError(401, f"the issuer's keys could not be fetched: {error}") from error
        if jwk is None:
            raise AuthorizationError(401, "the token's kid does not match a key of the issuer")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=jwt.PyJWK(jwk, algorithm=algorithm).key,
                algorithms=[algorithm],
                options={"require": ["exp"], "verify_aud": False, "verify_iss": False},
            )
        except jwt.ExpiredSignatureError as error:
            raise AuthorizationError(401, "the token has expired") from error
        except jwt.ImmatureSignatureError as error:
            raise AuthorizationError(401, "the token is not valid yet") from error
        except jwt.InvalidSignatureError as error:
            raise AuthorizationError(401, "the token signature is invalid") from error
        except jwt.InvalidTokenError as error:
            raise AuthorizationError(401, f"the token is invalid: {error}") from error
        return claims
