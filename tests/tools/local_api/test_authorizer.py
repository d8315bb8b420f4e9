"""The route's JWT authorizer as API Gateway applies it: every failure is a 401 before any invocation."""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.emulated_stage import RunningApi

UNAUTHORIZED = {"message": "Unauthorized"}


def _foreign_signature(api: RunningApi) -> str:
    """A well-formed token with the issuer's kid, signed by another key."""
    genuine = jwt.decode(api.token("mallory"), options={"verify_signature": False})
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(genuine, other_key, algorithm="RS256", headers={"kid": api.emulator.issuer.jwk["kid"]})


def _unsigned(api: RunningApi) -> str:
    genuine = jwt.decode(api.token("mallory"), options={"verify_signature": False})
    return jwt.encode(genuine, "", algorithm="none", headers={"kid": api.emulator.issuer.jwk["kid"]})


def _symmetric(api: RunningApi) -> str:
    genuine = jwt.decode(api.token("mallory"), options={"verify_signature": False})
    return jwt.encode(genuine, "a-shared-secret-of-32-bytes-or-more", algorithm="HS256")


INVALID_TOKENS: dict[str, tuple[Callable[[RunningApi], str | None], str]] = {
    "missing": (lambda api: None, "no token"),
    "not a jwt": (lambda api: "Bearer not-a-jwt", "not a valid JWT"),
    "expired": (lambda api: api.token("mallory", exp=int(time.time()) - 5), "expired"),
    "nbf in the future": (lambda api: api.token("mallory", nbf=int(time.time()) + 300), "not valid yet"),
    "iat in the future": (lambda api: api.token("mallory", iat=int(time.time()) + 300), "not valid yet"),
    "no exp": (lambda api: api.token("mallory", exp=None), "exp"),
    "wrong issuer": (lambda api: api.token("mallory", iss="https://issuer.example.com"), "valid issuer"),
    "wrong audience": (lambda api: api.token("mallory", aud="another-client"), "valid audience"),
    "wrong client_id": (lambda api: api.token("mallory", client_id="another-client"), "valid audience"),
    "unknown kid": (
        lambda api: jwt.encode(
            jwt.decode(api.token("mallory"), options={"verify_signature": False}),
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            algorithm="RS256",
            headers={"kid": "unknown"},
        ),
        "kid",
    ),
    "bad signature": (_foreign_signature, "signature is invalid"),
    "alg none": (_unsigned, "algorithm 'none'"),
    "alg HS256": (_symmetric, "algorithm 'HS256'"),
}


@pytest.mark.parametrize("case", INVALID_TOKENS)
def test_invalid_token_is_refused_with_401_and_never_reaches_the_function(
    dev_api: RunningApi, case: str
) -> None:
    make_token, reason = INVALID_TOKENS[case]
    token = make_token(dev_api)
    headers = {} if token is None else {"authorization": token if " " in token else f"Bearer {token}"}
    starts_before = dev_api.console().count("START RequestId")

    response = dev_api.client.get("/items", headers=headers)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert reason in response.headers["www-authenticate"]
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert dev_api.console().count("START RequestId") == starts_before


def test_aud_is_checked_instead_of_client_id_when_both_are_present(dev_api: RunningApi) -> None:
    client_id = dev_api.emulator.issuer.audience
    good_aud = dev_api.token("frank", aud=client_id, client_id="something-else")
    bad_aud = dev_api.token("frank", aud="something-else", client_id=client_id)
    assert dev_api.client.get("/items", headers={"authorization": f"Bearer {good_aud}"}).status_code == 200
    assert dev_api.client.get("/items", headers={"authorization": f"Bearer {bad_aud}"}).status_code == 401


def test_a_bare_token_without_bearer_prefix_is_accepted(dev_api: RunningApi) -> None:
    response = dev_api.client.get("/items", headers={"authorization": dev_api.token("grace")})
    assert response.status_code == 200


def test_claims_reach_the_function_as_strings_with_no_scopes(probe_api: RunningApi) -> None:
    token = probe_api.token("heidi", groups=["admins", "users"], email_verified=True)
    response = probe_api.client.get("/probe/whoami", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    jwt_context = response.json()["event"]["requestContext"]["authorizer"]["jwt"]
    claims = jwt_context["claims"]
    assert claims["sub"] == "heidi"
    assert claims["iss"] == probe_api.emulator.issuer.url
    assert claims["exp"].isdigit()
    assert claims["groups"] == "[admins users]"
    assert claims["email_verified"] == "true"
    assert jwt_context["scopes"] is None
