"""Who gets in, and what they can reach: the emulated JWT authorizer and the service's per-user keys.

Every token the authorizer must refuse is refused on every route with API Gateway's 401 before the
function runs, and changes nothing. Signed-in users cannot read, replace, delete or list each other's
items: a seeded random sequence of cross-user attempts gets 404 (no hint that the item exists) or, for
another user's cursor, 400 ``invalid_cursor``, and every owner's items stay exactly as they were.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.service.clients import Caller
from tests.service.conftest import Figures
from tests.support.local_api import RunningApi

UNAUTHORIZED = {"message": "Unauthorized"}
SEED = 20_261_123
USERS = 5
ATTEMPTS = 300


def _claims(api: RunningApi, sub: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(api.token(sub), options={"verify_signature": False})
    return claims


def _signed_by_another_key(api: RunningApi, sub: str) -> str:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(
        _claims(api, sub), other_key, algorithm="RS256", headers={"kid": api.emulator.issuer.jwk["kid"]}
    )


def _unsigned(api: RunningApi, sub: str) -> str:
    return jwt.encode(
        _claims(api, sub), "", algorithm="none", headers={"kid": api.emulator.issuer.jwk["kid"]}
    )


BAD_TOKENS: dict[str, Callable[[RunningApi, str], str | None]] = {
    "missing": lambda api, sub: None,
    "expired": lambda api, sub: api.token(sub, exp=int(time.time()) - 1),
    "not yet valid (nbf)": lambda api, sub: api.token(sub, nbf=int(time.time()) + 600),
    "wrong issuer": lambda api, sub: api.token(sub, iss="https://cognito-idp.eu-west-1.amazonaws.com/other"),
    "wrong audience": lambda api, sub: api.token(sub, client_id="another-app-client"),
    "bad signature": _signed_by_another_key,
    "alg none": _unsigned,
}


def _routes(item_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    path = f"/items/{item_id}"
    return [
        ("POST", "/items", {"json": {"name": "intruder"}}),
        ("GET", "/items", {}),
        ("GET", path, {}),
        ("PUT", path, {"json": {"name": "intruder"}, "headers": {"if-match": "*"}}),
        ("DELETE", path, {}),
    ]


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_a_bad_token_is_refused_on_every_route_before_the_function_runs(
    hardened_api: RunningApi, new_caller: Callable[[str], Caller], kind: str
) -> None:
    victim = new_caller("victim")
    item = victim.create("mine")
    token = BAD_TOKENS[kind](hardened_api, victim.sub)
    authorization = {} if token is None else {"authorization": f"Bearer {token}"}
    invocations_before = hardened_api.console().count("START RequestId")

    answers = []
    for method, path, options in _routes(item["id"]):
        headers = {**options.pop("headers", {}), **authorization}
        answers.append(hardened_api.client.request(method, path, headers=headers, **options))

    assert [(answer.status_code, answer.json()) for answer in answers] == [(401, UNAUTHORIZED)] * len(answers)
    assert hardened_api.console().count("START RequestId") == invocations_before
    assert victim.listing() == [item]


def test_random_cross_user_attempts_all_fail_with_404_and_change_nothing(
    new_caller: Callable[[str], Caller], figures: Figures
) -> None:
    chooser = random.Random(SEED)
    users = [new_caller(f"tenant{number}") for number in range(USERS)]
    owned = {
        user.sub: [user.create(f"{user.sub} #{n}") for n in range(chooser.randint(1, 4))] for user in users
    }
    before = {user.sub: user.listing() for user in users}
    outcomes: dict[str, int] = {}

    for _ in range(ATTEMPTS):
        attacker, owner = chooser.sample(users, 2)
        target = chooser.choice(owned[owner.sub])
        path = f"/items/{target['id']}"
        attempt = chooser.choice(["read", "replace", "replace any", "delete", "delete version", "list"])
        if attempt == "read":
            answer = attacker.request("GET", path)
        elif attempt.startswith("replace"):
            if_match = "*" if attempt == "replace any" else '"1"'
            answer = attacker.request("PUT", path, json={"name": "stolen"}, headers={"if-match": if_match})
        elif attempt.startswith("delete"):
            headers = {"if-match": '"1"'} if attempt == "delete version" else {}
            answer = attacker.request("DELETE", path, headers=headers)
        else:
            listed = {item["id"] for item in attacker.listing()}
            assert listed.isdisjoint(item["id"] for item in owned[owner.sub])
            outcomes["list"] = outcomes.get("list", 0) + 1
            continue
        assert answer.status_code == 404, (attempt, answer.status_code, answer.text)
        assert answer.json()["error"]["code"] == "item_not_found"
        outcomes[attempt] = outcomes.get(attempt, 0) + 1

    assert {user.sub: user.listing() for user in users} == before
    figures.record(
        f"cross-user attempts (seed {SEED}, {USERS} users)",
        f"{ATTEMPTS} attempts {dict(sorted(outcomes.items()))}: every read/replace/delete 404, "
        "no foreign item listed, all owners' items unchanged",
    )


def test_another_users_cursor_is_refused_and_reveals_nothing(new_caller: Callable[[str], Caller]) -> None:
    owner, attacker = new_caller("owner"), new_caller("attacker")
    for number in range(3):
        owner.create(f"secret {number}")
    attacker.create("own")
    cursor = owner.request("GET", "/items", params={"limit": 1}).json()["next_cursor"]

    answer = attacker.request("GET", "/items", params={"limit": 1, "cursor": cursor})

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_cursor"
    assert "items" not in answer.json()
