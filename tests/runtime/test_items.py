"""Creating, reading, replacing and deleting items through the Lambda handler, with ETags."""

from __future__ import annotations

import re

import pytest

from runtime.contract import (
    METRIC_CLIENT_ERRORS,
    METRIC_ITEMS_CREATED,
    METRIC_ITEMS_DELETED,
    METRIC_ITEMS_UPDATED,
    METRIC_SERVER_ERRORS,
)
from tests.support.apigw import LambdaApi
from tests.support.observability import emf_blobs

ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def create(user: LambdaApi, **fields: object) -> dict[str, object]:
    response = user.post("/items", body={"name": "lamp", **fields})
    assert response.status == 201, response.body
    item: dict[str, object] = response.json()
    return item


def test_create_returns_201_with_location_etag_and_the_item(alice: LambdaApi) -> None:
    response = alice.post(
        "/items",
        body={"name": "Desk lamp", "description": "Brass, 40 cm", "price": 19.9, "tags": ["home", "light"]},
    )

    assert response.status == 201
    item = response.json()
    assert ULID.fullmatch(item["id"])
    assert response.headers["location"] == f"/items/{item['id']}"
    assert response.headers["etag"] == '"1"'
    assert response.headers["content-type"] == "application/json"
    assert {key: item[key] for key in ("name", "description", "price", "tags", "version")} == {
        "name": "Desk lamp",
        "description": "Brass, 40 cm",
        "price": "19.90",
        "tags": ["home", "light"],
        "version": 1,
    }
    assert TIMESTAMP.fullmatch(item["created_at"])
    assert item["updated_at"] == item["created_at"]


def test_optional_fields_default_to_null_and_empty(alice: LambdaApi) -> None:
    item = create(alice)

    assert (item["description"], item["price"], item["tags"]) == (None, None, [])


def test_a_base64_encoded_body_is_decoded(alice: LambdaApi) -> None:
    response = alice.post(
        "/items",
        body='{"name": "caf\u00e9 table", "price": "120"}',
        headers={"content-type": "application/json; charset=utf-8"},
        base64_body=True,
    )

    assert response.status == 201
    assert (response.json()["name"], response.json()["price"]) == ("caf\u00e9 table", "120.00")


def test_get_returns_the_stored_item_and_its_etag(alice: LambdaApi) -> None:
    created = create(alice, price="3.5", tags=["b", "a"])

    response = alice.get(f"/items/{created['id']}")

    assert response.status == 200
    assert response.headers["etag"] == '"1"'
    assert response.json() == created


@pytest.mark.parametrize("item_id", ["01ARZ3NDEKTSV4RRFFQ69G5FAV", "not-an-id", "01arz3ndektsv4rrffq69g5fav"])
def test_get_of_an_unknown_item_is_404(alice: LambdaApi, item_id: str) -> None:
    response = alice.get(f"/items/{item_id}")

    assert response.status == 404
    assert response.error_code == "item_not_found"


def test_put_replaces_every_field_and_returns_the_next_etag(alice: LambdaApi) -> None:
    created = create(alice, description="old", price="5", tags=["x"])

    response = alice.put(
        f"/items/{created['id']}", body={"name": "renamed", "tags": ["y", "z"]}, headers={"if-match": '"1"'}
    )

    assert response.status == 200
    assert response.headers["etag"] == '"2"'
    replaced = response.json()
    assert {key: replaced[key] for key in ("id", "name", "description", "price", "tags", "version")} == {
        "id": created["id"],
        "name": "renamed",
        "description": None,
        "price": None,
        "tags": ["y", "z"],
        "version": 2,
    }
    assert replaced["created_at"] == created["created_at"]
    assert replaced["updated_at"] >= created["updated_at"]
    assert alice.get(f"/items/{created['id']}").json() == replaced


def test_put_without_if_match_is_428_and_changes_nothing(alice: LambdaApi) -> None:
    created = create(alice)

    response = alice.put(f"/items/{created['id']}", body={"name": "changed"})

    assert response.status == 428
    assert response.error_code == "precondition_required"
    assert alice.get(f"/items/{created['id']}").json() == created


@pytest.mark.parametrize("if_match", ['"2"', 'W/"1"', '"abc"', '"0", "3"'])
def test_put_with_a_stale_or_foreign_etag_is_412_and_changes_nothing(alice: LambdaApi, if_match: str) -> None:
    created = create(alice)

    response = alice.put(f"/items/{created['id']}", body={"name": "changed"}, headers={"if-match": if_match})

    assert response.status == 412
    assert response.error_code == "precondition_failed"
    assert alice.get(f"/items/{created['id']}").json() == created


@pytest.mark.parametrize("if_match", ["*", '"7", "1"', ' "1" '])
def test_put_accepts_star_and_lists_that_name_the_current_version(alice: LambdaApi, if_match: str) -> None:
    created = create(alice)

    response = alice.put(f"/items/{created['id']}", body={"name": "changed"}, headers={"if-match": if_match})

    assert response.status == 200
    assert response.json()["version"] == 2


@pytest.mark.parametrize("if_match", ["1", '"1', "W/1", '"1" "2"'])
def test_a_malformed_if_match_is_400(alice: LambdaApi, if_match: str) -> None:
    created = create(alice)

    response = alice.put(f"/items/{created['id']}", body={"name": "changed"}, headers={"if-match": if_match})

    assert response.status == 400
    assert response.error_code == "bad_request"


@pytest.mark.parametrize("if_match", ['"1"', "*", 'W/"1"'])
def test_put_of_a_missing_item_is_404_whatever_the_precondition(alice: LambdaApi, if_match: str) -> None:
    response = alice.put(
        "/items/01ARZ3NDEKTSV4RRFFQ69G5FAV", body={"name": "ghost"}, headers={"if-match": if_match}
    )

    assert response.status == 404
    assert response.error_code == "item_not_found"


def test_delete_returns_204_and_the_item_is_gone(alice: LambdaApi) -> None:
    created = create(alice)

    response = alice.delete(f"/items/{created['id']}")

    assert response.status == 204
    assert response.body == b""
    assert alice.get(f"/items/{created['id']}").status == 404
    assert alice.delete(f"/items/{created['id']}").error_code == "item_not_found"


def test_delete_honours_if_match(alice: LambdaApi) -> None:
    created = create(alice)

    stale = alice.delete(f"/items/{created['id']}", headers={"if-match": '"2"'})
    assert stale.status == 412
    assert alice.get(f"/items/{created['id']}").status == 200

    current = alice.delete(f"/items/{created['id']}", headers={"if-match": '"1"'})
    assert current.status == 204
    assert alice.get(f"/items/{created['id']}").status == 404


def test_writes_emit_their_metric_once(alice: LambdaApi, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    item = create(alice)
    alice.put(f"/items/{item['id']}", body={"name": "b"}, headers={"if-match": '"1"'})
    alice.get(f"/items/{item['id']}")
    alice.delete(f"/items/{item['id']}")

    emitted = [
        name
        for blob in emf_blobs(capsys.readouterr().out)
        for name in (metric["Name"] for metric in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"])
    ]

    status_metrics = [METRIC_CLIENT_ERRORS, METRIC_SERVER_ERRORS]
    assert emitted == [
        METRIC_ITEMS_CREATED,
        *status_metrics,
        METRIC_ITEMS_UPDATED,
        *status_metrics,
        *status_metrics,
        METRIC_ITEMS_DELETED,
        *status_metrics,
    ]
