"""The local issuer's ``/oauth2/token``: Cognito's client-credentials grant, its answers and its errors.

What Cognito documents for its token endpoint: a form-encoded POST, the confidential client authenticated
with ``Authorization: Basic base64(client_id:client_secret)``, ``scope`` optional (all the client's scopes
when absent), a JSON ``access_token``/``expires_in``/``token_type`` answer, and a 400 with an ``error``
code (``invalid_request``, ``invalid_client``, ``unsupported_grant_type``, ``invalid_scope``) otherwise.
The token is an access token whose ``sub`` and ``client_id`` are the client id, with no ``username``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import jwt
import pytest

from serverless_fastapi_cdk.toolkit.local_api.issuer import OAUTH_TOKEN_PATH, LocalIssuer, load_or_create_key

CLIENT_ID = "7abc0deploycheck1client"
SECRET = "s3cret-of-the-deployment-check-client"
SCOPES = ("items-api/deployment-check",)


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIssuer]:
    key = load_or_create_key(tmp_path_factory.mktemp("issuer") / "private-key.pem")
    running = LocalIssuer(key, audience="user-facing-client")
    running.register_client(CLIENT_ID, SECRET, SCOPES)
    running.start()
    yield running
    running.stop()


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_request(
    issuer: LocalIssuer, form: dict[str, str], *, authorization: str | None = None
) -> httpx.Response:
    headers = {"authorization": authorization or basic(CLIENT_ID, SECRET)}
    return httpx.post(issuer.url + OAUTH_TOKEN_PATH, data=form, headers=headers)


def test_the_grant_issues_an_access_token_whose_sub_is_the_client(issuer: LocalIssuer) -> None:
    response = token_request(issuer, {"grant_type": "client_credentials", "scope": SCOPES[0]})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == claims["client_id"] == CLIENT_ID
    assert claims["token_use"] == "access"
    assert claims["scope"] == SCOPES[0]
    assert claims["iss"] == issuer.url
    assert "username" not in claims
    assert "aud" not in claims


def test_without_a_scope_the_client_gets_all_of_its_scopes(issuer: LocalIssuer) -> None:
    response = token_request(issuer, {"grant_type": "client_credentials"})

    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["scope"] == " ".join(SCOPES)


@pytest.mark.parametrize(
    ("form", "authorization", "error"),
    [
        ({"grant_type": "client_credentials"}, basic(CLIENT_ID, "wrong"), "invalid_client"),
        ({"grant_type": "client_credentials"}, basic("unknown", SECRET), "invalid_client"),
        ({"grant_type": "client_credentials"}, "Bearer abc", "invalid_client"),
        ({"grant_type": "password"}, None, "unsupported_grant_type"),
        ({}, None, "invalid_request"),
        ({"grant_type": "client_credentials", "scope": "items-api/admin"}, None, "invalid_scope"),
    ],
)
def test_refusals_name_the_oauth_error(
    issuer: LocalIssuer, form: dict[str, str], authorization: str | None, error: str
) -> None:
    response = token_request(issuer, form, authorization=authorization)

    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_a_json_body_is_not_a_token_request(issuer: LocalIssuer) -> None:
    response = httpx.post(
        issuer.url + OAUTH_TOKEN_PATH,
        json={"grant_type": "client_credentials"},
        headers={"authorization": basic(CLIENT_ID, SECRET)},
    )

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request"}
