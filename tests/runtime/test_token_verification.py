"""The function believes only a token it verifies itself, whatever the event's authorizer claims say.

A direct invoke of the function skips API Gateway's authorizer, so every event here is what such an
invoke could send: a real API Gateway v2 payload through the real handler, its ``requestContext``
claiming a user, with a forged, foreign, expired or otherwise wrong bearer token. Each is a 401 that
reads and writes nothing. The keys come from the tests' issuer over HTTP (:mod:`tests.support.token_issuer`),
as the function fetches Cognito's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from runtime import identity
from runtime.token_verifier import (
    REFETCH_INTERVAL_SECONDS,
    Jwks,
    RsaPublicKey,
    TokenVerifier,
    rs256_signature_is_valid,
)
from serverless_fastapi_cdk.toolkit.local_api.issuer import public_jwk
from tests.support.apigw import LambdaApi, http_api_event, invoke, jwt_claims
from tests.support.token_issuer import CLIENT_ID, new_key, session_issuer


def verifier() -> TokenVerifier:
    configured = identity.configure()
    assert configured is not None
    return configured


def with_token(
    method: str, path: str, token: str | None, *, claims_of: str, **options: Any
) -> dict[str, Any]:
    """An event whose authorizer context claims ``claims_of``, carrying ``token`` (or none)."""
    event = http_api_event(method, path, claims=jwt_claims(claims_of), **options)
    if token is None:
        del event["headers"]["authorization"]
    else:
        event["headers"]["authorization"] = f"Bearer {token}"
    return event


def signed(
    claims: dict[str, Any], *, key: Any = None, kid: str | None = None, algorithm: str = "RS256"
) -> str:
    issuer = session_issuer()
    headers = {"kid": kid or issuer.jwk["kid"]}
    return jwt.encode(claims, key or issuer._key, algorithm=algorithm, headers=headers)


def access_claims(sub: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": sub,
        "iss": session_issuer().url,
        "client_id": CLIENT_ID,
        "token_use": "access",
        "scope": "openid",
        "iat": now,
        "exp": now + 600,
    }
    return {name: value for name, value in (claims | changes).items() if value is not None}


@pytest.fixture
def item_of_alice(alice: LambdaApi) -> tuple[str, str]:
    created = alice.post("/items", body={"name": "alice's"})
    assert created.status == 201
    return alice.sub or "", created.json()["id"]


def assert_untouched(alice: LambdaApi, item_id: str) -> None:
    found = alice.get(f"/items/{item_id}")
    assert found.status == 200
    assert found.json()["name"] == "alice's"


def test_a_token_of_the_issuer_for_the_client_is_believed(alice: LambdaApi) -> None:
    assert alice.get("/items").status == 200


FORGERIES = {
    "no token, only the claims": lambda sub: None,
    "a random bearer": lambda sub: base64.urlsafe_b64encode(uuid.uuid4().bytes).decode(),
    "unsigned (alg none)": lambda sub: jwt.encode(access_claims(sub), "", algorithm="none"),
    "another key under the issuer's kid": lambda sub: signed(access_claims(sub), key=new_key()),
    "the right claims, a flipped signature bit": lambda sub: _flipped(signed(access_claims(sub))),
    "HS256 keyed with the public JWK": lambda sub: _hs256(
        access_claims(sub), json.dumps(session_issuer().jwk)
    ),
}


def _hs256(claims: dict[str, Any], secret: str) -> str:
    """The algorithm-confusion forgery: an HMAC keyed with what the verifier knows, the public key."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signed_part = f"{part({'alg': 'HS256', 'kid': session_issuer().jwk['kid']})}.{part(claims)}"
    mac = hmac.new(secret.encode(), signed_part.encode(), hashlib.sha256).digest()
    return f"{signed_part}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _flipped(token: str) -> str:
    head, body, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[-1] ^= 1
    return f"{head}.{body}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_direct_invoke_with_forged_claims_is_401_and_touches_nothing(
    api: LambdaApi, alice: LambdaApi, item_of_alice: tuple[str, str], forge: Any, method: str
) -> None:
    sub, item_id = item_of_alice
    body = {"name": "forged"} if method == "PUT" else None
    event = with_token(method, f"/items/{item_id}", forge(sub), claims_of=sub, body=body)

    response = invoke(api.handler, event)

    assert response.status == 401
    assert response.error_code == "unauthorized"
    assert_untouched(alice, item_id)


AUTHORIZATION_FORMS = {
    "bearer": ("Bearer {token}", 200),
    "lower-case scheme": ("bearer {token}", 200),
    "the token alone": ("{token}", 200),
    "another scheme": ("Basic {token}", 401),
}
"""What the HTTP API's JWT authorizer accepts (the token alone, or after ``Bearer``), the function too."""


@pytest.mark.parametrize(("form", "status"), AUTHORIZATION_FORMS.values(), ids=AUTHORIZATION_FORMS)
def test_the_authorization_header_is_read_as_the_authorizer_reads_it(
    api: LambdaApi, alice: LambdaApi, form: str, status: int
) -> None:
    sub = alice.sub or ""
    event = with_token("GET", "/items", None, claims_of=sub)
    event["headers"]["authorization"] = form.format(token=signed(access_claims(sub)))

    assert invoke(api.handler, event).status == status


WRONG_TOKENS = {
    "another issuer": {"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"},
    "an ID token": {"token_use": "id", "aud": CLIENT_ID, "client_id": None},
    "another client": {"client_id": "0ther0client"},
    "no client": {"client_id": None},
    "expired": {"exp": int(time.time()) - 1},
    "no expiry": {"exp": None},
    "not valid yet": {"nbf": int(time.time()) + 600},
    "a refresh token_use": {"token_use": "refresh"},
}


@pytest.mark.parametrize("changes", WRONG_TOKENS.values(), ids=WRONG_TOKENS)
def test_a_validly_signed_token_that_is_not_an_access_token_for_this_client_now_is_401(
    api: LambdaApi, alice: LambdaApi, item_of_alice: tuple[str, str], changes: dict[str, Any]
) -> None:
    sub, item_id = item_of_alice
    token = signed(access_claims(sub, **changes))

    response = invoke(api.handler, with_token("DELETE", f"/items/{item_id}", token, claims_of=sub))

    assert response.status == 401
    assert_untouched(alice, item_id)


def test_an_unknown_key_id_costs_one_refetch_at_most_per_interval(
    api: LambdaApi, alice: LambdaApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    jwks = verifier().jwks
    stranger = new_key()
    monkeypatch.setattr(jwks, "_clock", lambda: time.monotonic() + 10 * REFETCH_INTERVAL_SECONDS)
    fetches = jwks.fetches
    for _ in range(3):
        token = signed(access_claims(alice.sub or ""), key=stranger, kid=f"unknown-{uuid.uuid4()}")
        response = invoke(api.handler, with_token("GET", "/items", token, claims_of=alice.sub or ""))
        assert response.status == 401

    assert jwks.fetches == fetches + 1


def test_a_rotated_key_is_fetched_and_believed_and_the_old_one_still_is(
    alice: LambdaApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = session_issuer()
    old_token = issuer.mint(alice.sub or "")
    monkeypatch.setattr(verifier().jwks, "_clock", lambda: time.monotonic() + 100 * REFETCH_INTERVAL_SECONDS)

    issuer.rotate_key(new_key())
    new_token = issuer.mint(alice.sub or "")

    assert jwt.get_unverified_header(new_token)["kid"] != jwt.get_unverified_header(old_token)["kid"]
    for token in (new_token, old_token):
        event = with_token("GET", "/items", token, claims_of=alice.sub or "")
        assert invoke(alice.handler, event).status == 200


def test_the_keys_are_fetched_in_the_background_before_any_request() -> None:
    """A fresh verifier starts downloading at INIT; the first token waits only for that download."""
    issuer = session_issuer()
    jwks = Jwks(issuer.url)
    jwks.refresh_in_background()
    fresh = TokenVerifier(issuer=issuer.url, client_ids=[CLIENT_ID], jwks=jwks)

    claims = fresh.verify(issuer.mint("early"))

    assert claims["sub"] == "early"
    assert jwks.fetches == 1


def test_the_pure_python_rs256_check_agrees_with_cryptography() -> None:
    key = new_key()
    numbers = key.public_key().public_numbers()
    public = RsaPublicKey(n=numbers.n, e=numbers.e)
    message = b"header.claims"
    signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())

    assert rs256_signature_is_valid(public, message, signature)
    assert not rs256_signature_is_valid(public, message + b"x", signature)
    assert not rs256_signature_is_valid(public, message, signature[:-1])
    assert not rs256_signature_is_valid(public, message, b"\x00" + signature)
    assert not rs256_signature_is_valid(public, message, numbers.n.to_bytes(256, "big"))
    sha1 = key.sign(message, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - a wrong hash must fail
    assert not rs256_signature_is_valid(public, message, sha1)


def test_short_keys_and_other_key_types_in_the_jwks_are_ignored() -> None:
    from runtime.token_verifier import public_key_of

    assert public_key_of(public_jwk(new_key())) is not None
    assert public_key_of(public_jwk(new_key()) | {"kty": "EC"}) is None
    assert public_key_of(public_jwk(new_key()) | {"alg": "RS512"}) is None
    short = rsa_1024_jwk()
    assert public_key_of(short) is None


def rsa_1024_jwk() -> dict[str, str]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return public_jwk(rsa.generate_private_key(public_exponent=65537, key_size=1024))  # noqa: S505 - a short key must be ignored


def test_the_construct_names_the_variables_the_verifier_reads() -> None:
    """The pattern sets the function's issuer and clients under the names the runtime half reads."""
    from runtime.token_verifier import ENV_CLIENT_IDS, ENV_ISSUER
    from serverless_fastapi_cdk.python_api_service import CLIENT_IDS_VARIABLE, ISSUER_VARIABLE

    assert (ISSUER_VARIABLE, CLIENT_IDS_VARIABLE) == (ENV_ISSUER, ENV_CLIENT_IDS)
