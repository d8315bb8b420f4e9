"""Access tokens only: an ID token passes API Gateway's JWT authorizer, and the service refuses it.

Cognito's ID tokens carry the app client id as ``aud``, which is the authorizer's audience, so API
Gateway lets them through (the emulator does the same); the function answers 401 on ``token_use``.
"""

from __future__ import annotations

import jwt

from tests.support.local_api import RunningApi


def test_an_id_token_passes_the_authorizer_and_gets_the_services_401(dev_api: RunningApi) -> None:
    id_token = dev_api.emulator.issuer.mint("ida", token_use="id")
    claims = jwt.decode(id_token, options={"verify_signature": False})
    (authorizer,) = {route.authorizer for route in dev_api.emulator.app.api.routes if route.authorizer}

    response = dev_api.client.get("/items", headers={"authorization": f"Bearer {id_token}"})

    assert (claims["token_use"], "client_id" in claims) == ("id", False)
    assert claims["aud"] in authorizer.audience
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized", "the function's envelope, not the gateway's"


def test_an_access_token_of_the_same_user_is_served(dev_api: RunningApi) -> None:
    token = dev_api.emulator.issuer.mint("ida", token_use="access")

    response = dev_api.client.get("/items", headers={"authorization": f"Bearer {token}"})

    assert response.status_code == 200
