"""Listing in creation order, page by page, with signed cursors bound to the caller."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from runtime import aws
from tests.runtime.conftest import CURSOR_SECRET_NAME
from tests.support.apigw import LambdaApi
from tests.support.aws_calls import recorded_responses
from tests.support.aws_emulator import Emulator

EMOJI = "\U0001f600"
LARGEST_ITEM = {
    "name": EMOJI * 200,
    "description": EMOJI * 2000,
    "price": "1.00",
    "tags": [f"{i:02d}" + EMOJI * 48 for i in range(20)],
}
"""About 13 KB in DynamoDB: 80 of them make more than the 1 MB a Query returns at most."""


def create_items(user: LambdaApi, count: int, **fields: Any) -> list[str]:
    ids = []
    for index in range(count):
        response = user.post("/items", body={"name": f"item {index}", **fields})
        assert response.status == 201
        ids.append(response.json()["id"])
    return ids


def all_pages(user: LambdaApi, **query: str) -> Iterator[dict[str, Any]]:
    page: dict[str, Any] = {"next_cursor": None}
    while True:
        cursor = {"cursor": page["next_cursor"]} if page["next_cursor"] else {}
        response = user.get("/items", query={**query, **cursor})
        assert response.status == 200, response.body
        page = response.json()
        yield page
        if page["next_cursor"] is None:
            return


def test_an_empty_list_has_no_cursor(alice: LambdaApi) -> None:
    assert alice.get("/items").json() == {"items": [], "next_cursor": None}


def test_pages_follow_creation_order_until_a_null_cursor(alice: LambdaApi) -> None:
    ids = create_items(alice, 7)

    pages = list(all_pages(alice, limit="3"))

    assert [[item["id"] for item in page["items"]] for page in pages] == [ids[0:3], ids[3:6], ids[6:7]]
    assert [page["next_cursor"] is None for page in pages] == [False, False, True]


def test_a_full_last_page_has_no_cursor(alice: LambdaApi) -> None:
    ids = create_items(alice, 4)

    pages = list(all_pages(alice, limit="2"))

    assert [len(page["items"]) for page in pages] == [2, 2]
    assert [item["id"] for page in pages for item in page["items"]] == ids


def test_the_default_page_size_is_20(alice: LambdaApi) -> None:
    create_items(alice, 21)

    first = alice.get("/items").json()

    assert len(first["items"]) == 20
    assert first["next_cursor"] is not None


def test_a_cursor_survives_the_deletion_of_the_item_it_names(alice: LambdaApi) -> None:
    ids = create_items(alice, 5)
    first = alice.get("/items", query={"limit": "2"}).json()
    assert alice.delete(f"/items/{ids[1]}").status == 204

    rest = alice.get("/items", query={"limit": "10", "cursor": first["next_cursor"]}).json()

    assert [item["id"] for item in rest["items"]] == ids[2:]


def test_pages_fill_up_across_the_1_mb_query_limit(alice: LambdaApi) -> None:
    """DynamoDB ends a Query at 1 MB; the service queries on, so a page still holds ``limit`` items."""
    ids = create_items(alice, 110, **LARGEST_ITEM)

    with recorded_responses(aws.dynamodb(), "Query") as queries:
        pages = list(all_pages(alice, limit="100"))

    assert [len(page["items"]) for page in pages] == [100, 10]
    assert [item["id"] for page in pages for item in page["items"]] == ids
    assert pages[0]["items"][99]["description"] == EMOJI * 2000
    cut_short = [query for query in queries if "LastEvaluatedKey" in query and query["Count"] < 101]
    assert cut_short, "no Query reached the 1 MB limit"


def tampered(cursor: str) -> Iterator[str]:
    version, payload, mac = cursor.split(".")
    flipped_mac = base64.urlsafe_b64encode(bytes([mac_byte ^ 1 for mac_byte in _decode(mac)])).rstrip(b"=")
    yield f"{version}.{payload}.{flipped_mac.decode()}"
    other_id = base64.urlsafe_b64encode(b"01ARZ3NDEKTSV4RRFFQ69G5FAV").rstrip(b"=").decode()
    yield f"{version}.{other_id}.{mac}"
    yield f"v2.{payload}.{mac}"
    yield f"{version}.{payload}"
    yield cursor + "A"
    yield cursor[:-2]


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_a_tampered_cursor_is_400(alice: LambdaApi) -> None:
    create_items(alice, 3)
    cursor = alice.get("/items", query={"limit": "1"}).json()["next_cursor"]

    for bad in tampered(cursor):
        response = alice.get("/items", query={"cursor": bad})
        assert response.status == 400, bad
        assert response.error_code == "invalid_cursor"


@pytest.mark.parametrize("cursor", ["", "garbage", "v1..", "v1.\u00e9\u00e9.\u00e9\u00e9", "v1." + "A" * 200])
def test_a_malformed_cursor_is_400(alice: LambdaApi, cursor: str) -> None:
    response = alice.get("/items", query={"cursor": cursor})

    assert response.status == 400
    assert response.error_code == "invalid_cursor"


def test_a_cursor_signed_with_a_rotated_out_key_is_400_once_the_cache_refreshes(
    alice: LambdaApi, aws_emulator: Emulator, fresh_aws: None
) -> None:
    create_items(alice, 3)
    cursor = alice.get("/items", query={"limit": "1"}).json()["next_cursor"]
    secrets = aws_emulator.secretsmanager()
    original = secrets.get_secret_value(SecretId=CURSOR_SECRET_NAME)["SecretString"]
    secrets.put_secret_value(SecretId=CURSOR_SECRET_NAME, SecretString="rotated-" + "k" * 40)
    try:
        assert alice.get("/items", query={"cursor": cursor}).status == 200, "the key is cached"
        aws.reset()
        assert alice.get("/items", query={"cursor": cursor}).error_code == "invalid_cursor"
    finally:
        secrets.put_secret_value(SecretId=CURSOR_SECRET_NAME, SecretString=original)
