"""Verifies an OpenID Connect issuer's RS256 access tokens inside the function, whoever invoked it.

API Gateway's JWT authorizer checks a token before it calls the function, but a direct invoke (any
principal with ``lambda:InvokeFunction``) skips it and writes whatever claims it likes into the event.
So the function believes only a token it verifies itself:

- the signature: RS256 (RSASSA-PKCS1-v1_5 with SHA-256) under a key of the issuer's JWKS, checked by
  computing ``signature ** e mod n`` and comparing it, byte for byte, with the one encoding the token's
  SHA-256 digest may have (EMSA-PKCS1-v1_5, RFC 8017 section 8.2.2); the padding is never parsed, so
  there is no parser to fool. Keys shorter than 2048 bits, other algorithms and ``none`` are refused.
- ``iss`` is the issuer; ``token_use`` is ``access`` (required of a Cognito issuer, whose ID tokens
  carry the client id as ``aud``); ``client_id`` (Cognito's access tokens) or ``aud`` names an
  accepted client; ``exp`` is in the future and ``nbf``, when present, in the past.

The JWKS comes from the issuer's OpenID discovery document (its ``jwks_uri``) and is cached for the
life of the execution environment. :meth:`Jwks.refresh_in_background` fetches it off the request
path (at INIT, and again after a SnapStart restore); a request waits only when no fetch has finished
yet. A token naming a key the cache lacks (the issuer rotated its keys) triggers one refetch, at most
once per :data:`REFETCH_INTERVAL_SECONDS`, so a stream of made-up key ids cannot hammer the issuer.

The module knows nothing of the service that uses it: the caller passes the issuer and the clients.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

ENV_ISSUER = "JWT_ISSUER"
"""Environment variable naming the issuer (``iss``) whose tokens the function accepts."""
ENV_CLIENT_IDS = "JWT_CLIENT_IDS"
"""Environment variable: the accepted client ids (``client_id`` or ``aud``), comma-separated."""
ACCESS_TOKEN_USE = "access"  # noqa: S105 (a claim value, not a secret)
COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/[^/]+$")
MIN_KEY_BITS = 2048
REFETCH_INTERVAL_SECONDS = 60.0
"""Least time between two JWKS downloads caused by an unknown ``kid``."""
FETCH_TIMEOUT_SECONDS = 3.0
MAX_DOCUMENT_BYTES = 256 * 1024
MAX_TOKEN_LENGTH = 8192
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
"""DER prefix of a SHA-256 ``DigestInfo`` (RFC 8017 section 9.2, note 1)."""
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

type FetchJson = Callable[[str], Any]


class InvalidTokenError(Exception):
    """The token does not prove a caller; the message says why (for logs, never for the response)."""


@dataclass(frozen=True)
class RsaPublicKey:
    n: int
    e: int

    @property
    def size(self) -> int:
        """Length of the modulus, and of every signature under it, in bytes."""
        return (self.n.bit_length() + 7) // 8


def rs256_signature_is_valid(key: RsaPublicKey, signed: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``key``'s RSASSA-PKCS1-v1_5 SHA-256 signature of ``signed``."""
    size = key.size
    if len(signature) != size:
        return False
    value = int.from_bytes(signature, "big")
    if value >= key.n:
        return False
    encoded = pow(value, key.e, key.n).to_bytes(size, "big")
    digest_info = SHA256_DIGEST_INFO + hashlib.sha256(signed).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
    return hmac.compare_digest(encoded, expected)


def public_key_of(jwk: Mapping[str, Any]) -> RsaPublicKey | None:
    """The RSA signing key a JWK describes, or None for any other kind of key (ignored)."""
    if jwk.get("kty") != "RSA" or jwk.get("alg", "RS256") != "RS256" or jwk.get("use", "sig") != "sig":
        return None
    try:
        key = RsaPublicKey(
            n=int.from_bytes(_b64decode(str(jwk["n"])), "big"),
            e=int.from_bytes(_b64decode(str(jwk["e"])), "big"),
        )
    except (KeyError, ValueError):
        return None
    if key.n.bit_length() < MIN_KEY_BITS or key.e < 3 or key.e % 2 == 0:
        return None
    return key


def fetch_json(url: str) -> Any:
    """GET ``url`` (https, or http on the loopback interface) and parse its JSON body."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS):
        raise ValueError(f"refusing to fetch keys over {parts.scheme or 'no scheme'}: {url}")
    request = urllib.request.Request(url, headers={"accept": "application/json"})  # noqa: S310 (scheme checked)
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
        return json.loads(response.read(MAX_DOCUMENT_BYTES + 1)[:MAX_DOCUMENT_BYTES])


class Jwks:
    """The signing keys of one issuer, fetched through its discovery document and cached."""

    def __init__(
        self,
        issuer: str,
        *,
        fetch: FetchJson = fetch_json,
        refetch_interval: float = REFETCH_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self._fetch = fetch
        self._refetch_interval = refetch_interval
        self._clock = clock
        self._keys: dict[str, RsaPublicKey] = {}
        self._lock = threading.Lock()
        self._last_attempt: float | None = None
        self._in_flight: threading.Event | None = None
        self.fetches = 0
        """Downloads attempted so far (tests and the bench read it)."""

    def refresh_in_background(self) -> None:
        """Download the keys in a daemon thread; requests meanwhile use the keys already held, if any."""
        with self._lock:
            if self._in_flight is not None:
                return
            done = self._in_flight = threading.Event()
        threading.Thread(target=self._refresh, args=(done,), name="jwks-refresh", daemon=True).start()

    def key(self, kid: str) -> RsaPublicKey | None:
        """The key named ``kid``; an unknown one causes one rate-limited download, then None."""
        pending = self._in_flight
        if pending is not None and not self._keys:
            pending.wait(FETCH_TIMEOUT_SECONDS * 2)
        found = self._keys.get(kid)
        if found is not None:
            return found
        with self._lock:
            now = self._clock()
            due = self._last_attempt is None or now - self._last_attempt >= self._refetch_interval
            if not due or self._in_flight is not None:
                return self._keys.get(kid)
            done = self._in_flight = threading.Event()
        self._refresh(done)
        return self._keys.get(kid)

    def _refresh(self, done: threading.Event) -> None:
        with self._lock:
            self._last_attempt = self._clock()
            self.fetches += 1
        try:
            discovery = self._fetch(f"{self.issuer.rstrip('/')}/.well-known/openid-configuration")
            document = self._fetch(str(discovery["jwks_uri"]))
            keys = {
                str(jwk["kid"]): key
                for jwk in document["keys"]
                if isinstance(jwk, Mapping) and "kid" in jwk and (key := public_key_of(jwk)) is not None
            }
            if keys:
                self._keys = keys
        except Exception:  # noqa: BLE001, S110 - a failed download keeps the keys held; the next is rate-limited
            pass
        finally:
            with self._lock:
                self._in_flight = None
            done.set()


class TokenVerifier:
    """Checks an access token of ``issuer`` for one of ``client_ids`` and returns its claims."""

    def __init__(
        self,
        *,
        issuer: str,
        client_ids: Collection[str],
        jwks: Jwks,
        now: Callable[[], float] = time.time,
    ) -> None:
        if not issuer or not client_ids:
            raise ValueError("TokenVerifier: an issuer and at least one client id are required")
        self.issuer = issuer
        self.client_ids = frozenset(client_ids)
        self.jwks = jwks
        self._now = now

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or :class:`InvalidTokenError`."""
        if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
            raise InvalidTokenError("not a compact JWS")
        encoded_header, encoded_claims, encoded_signature = token.split(".")
        header = _json_object(encoded_header, "header")
        if header.get("alg") != "RS256":
            raise InvalidTokenError(f"algorithm {header.get('alg')!r} is not RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidTokenError("no key id")
        key = self.jwks.key(kid)
        if key is None:
            raise InvalidTokenError("key id unknown to the issuer")
        signed = f"{encoded_header}.{encoded_claims}".encode("ascii")
        if not rs256_signature_is_valid(key, signed, _b64decode_part(encoded_signature, "signature")):
            raise InvalidTokenError("bad signature")
        claims = _json_object(encoded_claims, "claims")
        self._check_claims(claims)
        return claims

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        if claims.get("iss") != self.issuer:
            raise InvalidTokenError("another issuer")
        token_use = claims.get("token_use")
        if token_use is None and COGNITO_ISSUER.match(self.issuer):
            raise InvalidTokenError("a Cognito token without token_use")
        if token_use is not None and token_use != ACCESS_TOKEN_USE:
            raise InvalidTokenError(f"token_use {token_use!r} is not access")
        audience = claims.get("aud")
        audiences = (
            {audience}
            if isinstance(audience, str)
            else set(audience or ())
            if isinstance(audience, list)
            else set()
        )
        if claims.get("client_id") not in self.client_ids and not audiences & self.client_ids:
            raise InvalidTokenError("issued to another client")
        now = self._now()
        expires = _number(claims.get("exp"))
        if expires is None or now >= expires:
            raise InvalidTokenError("expired or no expiry")
        not_before = _number(claims.get("nbf"))
        if "nbf" in claims and (not_before is None or now < not_before):
            raise InvalidTokenError("not valid yet")


def verifier_from_environ(environ: Mapping[str, str], *, fetch: FetchJson = fetch_json) -> TokenVerifier:
    """The verifier :data:`ENV_ISSUER` and :data:`ENV_CLIENT_IDS` name; ValueError when either is unset."""
    issuer = environ.get(ENV_ISSUER, "").strip()
    client_ids = [client.strip() for client in environ.get(ENV_CLIENT_IDS, "").split(",") if client.strip()]
    if not issuer or not client_ids:
        raise ValueError(f"environment variables {ENV_ISSUER} and {ENV_CLIENT_IDS} must be set")
    return TokenVerifier(issuer=issuer, client_ids=client_ids, jwks=Jwks(issuer, fetch=fetch))


def _number(value: Any) -> float | None:
    """A NumericDate claim's value; None for anything that is not a number (booleans included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _b64decode(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not base64url") from error


def _b64decode_part(value: str, part: str) -> bytes:
    try:
        return _b64decode(value)
    except ValueError as error:
        raise InvalidTokenError(f"{part} is not base64url") from error


def _json_object(encoded: str, part: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode_part(encoded, part))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidTokenError(f"{part} is not JSON") from error
    if not isinstance(value, dict):
        raise InvalidTokenError(f"{part} is not a JSON object")
    return value
