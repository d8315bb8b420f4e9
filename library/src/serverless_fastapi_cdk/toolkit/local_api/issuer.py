"""A local OpenID Connect issuer: an RS256 key pair kept on disk, its JWKS served over HTTP, and tokens.

The key pair is created on first use under the emulator's state folder (``.local/issuer/``, git-ignored)
and reused afterwards. The issuer listens on its own loopback port, and its URL is the ``iss`` of the
tokens it mints; the emulator configures every JWT authorizer of the template with this URL instead of
the template's issuer (a Cognito user pool or another OIDC provider cannot sign tokens here). The
authorizer then discovers the JWKS through ``/.well-known/openid-configuration`` like API Gateway does.

``/oauth2/token`` answers the client-credentials grant the way a Cognito domain's token endpoint does
(form-encoded request, the client authenticated with HTTP Basic, ``invalid_client``/``invalid_scope``/...
JSON errors) for the confidential clients a test registers (:meth:`LocalIssuer.register_client`); such a
token's ``sub`` and ``client_id`` are the client id, with no ``username``.

Tokens look like Cognito access tokens (``sub``, ``client_id``, ``token_use``, ``scope``, ``username``),
with ``client_id`` set to the authorizer's first audience so they pass its audience check. Tests can
mint Cognito-like ID tokens too (``aud`` = that audience, ``token_use: id``), which API Gateway's
authorizer accepts as well and the service must refuse.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

DEFAULT_TOKEN_TTL_SECONDS = 3600
"""Cognito's default access token validity."""
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks.json"
TOKENS_PATH = "/local/tokens"
"""Not part of OIDC: how ``sfcdk token`` asks the running emulator for a token."""
_USAGE = 'expected {"sub": "<user>", "ttl_seconds": <int, optional>, "audience": <str, optional>}'

OAUTH_TOKEN_PATH = "/oauth2/token"  # noqa: S105 (a path)
"""Cognito's token endpoint; here only its client-credentials grant (machine-to-machine clients)."""


def load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    """The RSA private key stored at ``path`` (PEM), created with mode 0600 when missing."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA private key; delete it to get a new one")
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.touch(mode=0o600)
    path.write_bytes(pem)
    return key


def public_jwk(key: rsa.RSAPrivateKey) -> dict[str, str]:
    """The public half of ``key`` as a JWK, with its RFC 7638 thumbprint as ``kid``."""
    jwk: dict[str, str] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    canonical = json.dumps({name: jwk[name] for name in ("e", "kty", "n")}, separators=(",", ":"))
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    return jwk | {"kid": kid, "alg": "RS256", "use": "sig"}


class LocalIssuer:
    """Signs tokens and serves its discovery document and JWKS on ``127.0.0.1:<port>``."""

    def __init__(
        self, key: rsa.RSAPrivateKey, *, audience: str, scopes: tuple[str, ...] = (), port: int = 0
    ) -> None:
        self._key = key
        self.jwk = public_jwk(key)
        self._retired: list[dict[str, str]] = []
        self.audience = audience
        self.scopes = scopes
        self._clients: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-issuer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def rotate_key(self, key: rsa.RSAPrivateKey) -> None:
        """Sign with ``key`` from now on; the JWKS lists it, then the previous keys, as in a rotation."""
        self._retired.insert(0, self.jwk)
        self._key = key
        self.jwk = public_jwk(key)

    def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set: the signing key, then the retired ones."""
        return {"keys": [self.jwk, *self._retired]}

    def register_client(self, client_id: str, secret: str, scopes: tuple[str, ...]) -> None:
        """A confidential app client allowed the client-credentials grant for ``scopes``."""
        self._clients[client_id] = (secret, scopes)

    def client_credentials(
        self, authorization: str, form: Mapping[str, list[str]]
    ) -> tuple[int, dict[str, Any]]:
        """The token endpoint's answer (status, JSON body) to a client-credentials request."""
        grant = form.get("grant_type", [""])[0]
        if not grant:
            return 400, {"error": "invalid_request"}
        if grant != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        scheme, _, encoded = authorization.partition(" ")
        try:
            client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except ValueError:
            client_id, secret = "", ""
        registered = self._clients.get(client_id)
        if scheme.lower() != "basic" or registered is None or not hmac.compare_digest(registered[0], secret):
            return 400, {"error": "invalid_client"}
        allowed = registered[1]
        requested = tuple(form.get("scope", [""])[0].split()) or allowed
        if not requested or not set(requested) <= set(allowed):
            return 400, {"error": "invalid_scope"}
        token = self.mint(
            client_id, scopes=requested, overrides={"client_id": client_id, "username": None, "version": 2}
        )
        return 200, {"access_token": token, "expires_in": DEFAULT_TOKEN_TTL_SECONDS, "token_type": "Bearer"}

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "jwks_uri": f"{self.url}{JWKS_PATH}",
            "token_endpoint": f"{self.url}{OAUTH_TOKEN_PATH}",
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
        }

    def mint(
        self,
        subject: str,
        *,
        ttl_seconds: int = DEFAULT_TOKEN_TTL_SECONDS,
        scopes: tuple[str, ...] | None = None,
        overrides: Mapping[str, Any] | None = None,
        token_use: Literal["access", "id"] = "access",  # noqa: S107 (a claim value)
    ) -> str:
        """A signed token for ``subject``, an access token unless ``token_use`` is ``id``.

        ``overrides`` replaces or removes (None) claims.
        """
        now = int(time.time())
        common = {"sub": subject, "iss": self.url, "token_use": token_use, "auth_time": now, "iat": now}
        claims: dict[str, Any] = common | {"exp": now + ttl_seconds, "jti": str(uuid.uuid4())}
        if token_use == "access":  # noqa: S105 (a claim value)
            claims |= {
                "client_id": self.audience,
                "scope": " ".join(self.scopes if scopes is None else scopes),
                "username": subject,
            }
        else:
            claims |= {"aud": self.audience, "cognito:username": subject}
        for name, value in (overrides or {}).items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.jwk["kid"]})


def _handler_for(issuer: LocalIssuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, document: Mapping[str, Any]) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == DISCOVERY_PATH:
                self._send(200, issuer.discovery())
            elif self.path == JWKS_PATH:
                self._send(200, issuer.jwks())
            else:
                self._send(404, {"message": "Not Found"})

        def do_POST(self) -> None:
            if self.path == OAUTH_TOKEN_PATH:
                self._oauth_token()
                return
            if self.path != TOKENS_PATH:
                self._send(404, {"message": "Not Found"})
                return
            length = int(self.headers.get("content-length") or 0)
            try:
                request = json.loads(self.rfile.read(length) or b"{}")
                subject = request["sub"]
                ttl = int(request.get("ttl_seconds", DEFAULT_TOKEN_TTL_SECONDS))
                audience = request.get("audience")
            except (ValueError, KeyError, TypeError, AttributeError):
                self._send(400, {"message": _USAGE})
                return
            if not isinstance(subject, str) or not subject or ttl <= 0:
                self._send(400, {"message": "sub must be a non-empty string and ttl_seconds positive"})
                return
            if audience is not None and (not isinstance(audience, str) or not audience):
                self._send(400, {"message": "audience must be a non-empty string"})
                return
            overrides = {"client_id": audience} if audience else None
            token = issuer.mint(subject, ttl_seconds=ttl, overrides=overrides)
            self._send(200, {"token": token, "expires_in": ttl})

        def _oauth_token(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            content_type = (self.headers.get("content-type") or "").split(";")[0].strip().lower()
            if content_type != "application/x-www-form-urlencoded":
                self._send(400, {"error": "invalid_request"})
                return
            form = urllib.parse.parse_qs(raw.decode(errors="replace"))
            status, document = issuer.client_credentials(self.headers.get("authorization") or "", form)
            self._send(status, document)

        def log_message(self, format: str, *args: Any) -> None:
            """Silenced: the emulator's console is for the API's traffic."""

    return Handler
