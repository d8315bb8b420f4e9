"""No user can read, list, change or delete another user's items."""

from __future__ import annotations

from tests.support.apigw import LambdaApi


def test_another_user_can_do_nothing_with_an_item(alice: LambdaApi, bob: LambdaApi) -> None:
    item = alice.post("/items", body={"name": "alice's"}).json()
    path = f"/items/{item['id']}"

    assert bob.get(path).error_code == "item_not_found"
    for if_match in ('"1"', "*"):
        replaced = bob.put(path, body={"name": "bob's now"}, headers={"if-match": if_match})
        assert replaced.error_code == "item_not_found"
    assert bob.delete(path).error_code == "item_not_found"
    assert bob.delete(path, headers={"if-match": '"1"'}).error_code == "item_not_found"

    assert alice.get(path).json() == item


def test_listings_hold_only_the_callers_items(alice: LambdaApi, bob: LambdaApi) -> None:
    alice_ids = [alice.post("/items", body={"name": f"a{i}"}).json()["id"] for i in range(3)]
    bob_ids = [bob.post("/items", body={"name": f"b{i}"}).json()["id"] for i in range(2)]

    assert [item["id"] for item in alice.get("/items").json()["items"]] == alice_ids
    assert [item["id"] for item in bob.get("/items").json()["items"]] == bob_ids


def test_another_users_cursor_is_400_not_their_page(alice: LambdaApi, bob: LambdaApi) -> None:
    for index in range(3):
        alice.post("/items", body={"name": f"a{index}"})
        bob.post("/items", body={"name": f"b{index}"})
    alice_cursor = alice.get("/items", query={"limit": "1"}).json()["next_cursor"]

    response = bob.get("/items", query={"cursor": alice_cursor})

    assert response.status == 400
    assert response.error_code == "invalid_cursor"


def test_the_same_idempotency_key_is_independent_per_user(alice: LambdaApi, bob: LambdaApi) -> None:
    headers = {"idempotency-key": "shared-key-123"}

    from_alice = alice.post("/items", body={"name": "same"}, headers=headers)
    from_bob = bob.post("/items", body={"name": "same"}, headers=headers)

    assert (from_alice.status, from_bob.status) == (201, 201)
    assert from_bob.headers["idempotent-replayed"] == "false"
    assert from_alice.json()["id"] != from_bob.json()["id"]
    assert len(bob.get("/items").json()["items"]) == 1
