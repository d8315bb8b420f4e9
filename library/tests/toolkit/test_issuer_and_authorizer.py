"""The local issuer (key on disk, discovery over HTTP) and the authorizer that trusts it."""

from __future__ import annotations

import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from serverless_fastapi_cdk.toolkit.local_api.events import HttpRequest
from serverless_fastapi_cdk.toolkit.local_api.issuer import TOKENS_PATH, LocalIssuer, load_or_create_key
from serverless_fastapi_cdk.toolkit.local_api.jwt_authorizer import (
    AuthorizationError,
    JwksClient,
    JwtAuthorizer,
    claim_string,
)


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIssuer]:
    key = load_or_create_key(tmp_path_factory.mktemp("issuer") / "private-key.pem")
    running = LocalIssuer(key, audience="client-1", scopes=("items/read", "items/write"))
    running.start()
    yield running
    running.stop()


def _request(token: str | None = None, *, query: str = "") -> HttpRequest:
    headers = [] if token is None else [("Authorization", f"Bearer {token}")]
    return HttpRequest(
        method="GET", raw_path="/", raw_query=query, headers=headers, body=b"", source_ip="127.0.0.1"
    )


def _authorizer(issuer: LocalIssuer, source: str = "$request.header.Authorization") -> JwtAuthorizer:
    return JwtAuthorizer(
        issuer=issuer.url, audience=("client-1",), identity_source=source, jwks=JwksClient(issuer.url)
    )


def test_the_key_is_created_once_private_to_the_user_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "issuer" / "private-key.pem"
    first = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = load_or_create_key(path)
    assert first.private_numbers() == second.private_numbers()


def test_discovery_document_points_at_the_jwks_of_the_signing_key(issuer: LocalIssuer) -> None:
    discovery = httpx.get(f"{issuer.url}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == issuer.url
    keys = httpx.get(discovery["jwks_uri"]).json()["keys"]
    assert [key["kid"] for key in keys] == [issuer.jwk["kid"]]
    assert "d" not in keys[0]


def test_minted_tokens_look_like_cognito_access_tokens(issuer: LocalIssuer) -> None:
    claims = jwt.decode(issuer.mint("alice"), options={"verify_signature": False})
    assert claims["sub"] == claims["username"] == "alice"
    assert (claims["iss"], claims["client_id"], claims["token_use"]) == (issuer.url, "client-1", "access")
    assert claims["scope"] == "items/read items/write"
    assert claims["exp"] - claims["iat"] == 3600


def test_the_token_endpoint_mints_for_a_user_and_rejects_bad_requests(issuer: LocalIssuer) -> None:
    response = httpx.post(issuer.url + TOKENS_PATH, json={"sub": "bob", "ttl_seconds": 60})
    assert response.status_code == 200
    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert (claims["sub"], claims["exp"] - claims["iat"]) == ("bob", 60)
    assert httpx.post(issuer.url + TOKENS_PATH, json={}).status_code == 400
    assert httpx.post(issuer.url + TOKENS_PATH, json={"sub": ""}).status_code == 400
    assert httpx.post(issuer.url + TOKENS_PATH, content=b"not json").status_code == 400


def test_a_valid_token_yields_string_claims(issuer: LocalIssuer) -> None:
    authorization = _authorizer(issuer).authorize(_request(issuer.mint("carol")), ())
    assert authorization.claims["sub"] == "carol"
    assert authorization.claims["exp"].isdigit()
    assert authorization.scopes is None


def test_route_scopes_need_one_match_and_are_passed_on(issuer: LocalIssuer) -> None:
    authorizer = _authorizer(issuer)
    allowed = authorizer.authorize(_request(issuer.mint("dan")), ("items/write", "admin"))
    assert allowed.scopes == ["items/read", "items/write"]
    with pytest.raises(AuthorizationError) as denied:
        authorizer.authorize(_request(issuer.mint("dan", scopes=("items/read",))), ("admin",))
    assert denied.value.status == 403
    assert denied.value.message == "Forbidden"
    assert 'error="insufficient_scope"' in denied.value.www_authenticate(("admin",))


def test_the_token_may_come_from_the_query_string(issuer: LocalIssuer) -> None:
    authorizer = _authorizer(issuer, "$request.querystring.access_token")
    authorization = authorizer.authorize(_request(query=f"x=1&access_token={issuer.mint('erin')}"), ())
    assert authorization.claims["sub"] == "erin"
    with pytest.raises(AuthorizationError):
        authorizer.authorize(_request(issuer.mint("erin")), ())


def test_scp_lists_count_as_scopes(issuer: LocalIssuer) -> None:
    token = issuer.mint("fay", overrides={"scope": None, "scp": ["admin"]})
    assert _authorizer(issuer).authorize(_request(token), ("admin",)).scopes == ["admin"]


@pytest.mark.parametrize(
    ("value", "text"),
    [("x", "x"), (5, "5"), (True, "true"), (["a", 1], "[a 1]"), ({"k": "v"}, '{"k":"v"}')],
)
def test_claims_are_stringified_as_api_gateway_passes_them(value: object, text: str) -> None:
    assert claim_string(value) == text


def test_an_unreachable_issuer_denies_instead_of_failing(issuer: LocalIssuer) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
    authorizer = JwtAuthorizer(
        issuer=nowhere,
        audience=("client-1",),
        identity_source="$request.header.Authorization",
        jwks=JwksClient(nowhere),
    )
    with pytest.raises(AuthorizationError, match="keys could not be fetched") as denied:
        authorizer.authorize(_request(issuer.mint("gus")), ())
    assert denied.value.status == 401
