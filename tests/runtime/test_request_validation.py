"""Bad input: 422 with the offending fields, 415 for non-JSON bodies, 413 over the body limit.

No bad request may write anything: each test checks that the caller still has no items.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from runtime.main import create_app
from runtime.settings import MAX_REQUEST_BODY_BYTES
from tests.support.apigw import LambdaApi

EMOJI = "\U0001f600"


def assert_no_items(user: LambdaApi) -> None:
    assert user.get("/items").json()["items"] == []


def field_errors(body: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["type"] for error in body["error"]["fields"]}


@pytest.mark.parametrize(
    ("body", "field", "error_type"),
    [
        ({}, "body.name", "missing"),
        ({"name": ""}, "body.name", "string_too_short"),
        ({"name": "   "}, "body.name", "string_pattern_mismatch"),
        ({"name": "n" * 201}, "body.name", "string_too_long"),
        ({"name": 42}, "body.name", "string_type"),
        ({"name": "ok", "description": "d" * 2001}, "body.description", "string_too_long"),
        ({"name": "ok", "price": -0.01}, "body.price", "greater_than_equal"),
        ({"name": "ok", "price": "1.999"}, "body.price", "decimal_max_places"),
        ({"name": "ok", "price": "NaN"}, "body.price", "price_format"),
        ({"name": "ok", "price": "1e2"}, "body.price", "price_format"),
        ({"name": "ok", "price": "007"}, "body.price", "price_format"),
        ({"name": "ok", "price": "12345678901.00"}, "body.price", "decimal_whole_digits"),
        ({"name": "ok", "tags": [f"t{i}" for i in range(21)]}, "body.tags", "too_long"),
        ({"name": "ok", "tags": ["a", "b", "a"]}, "body.tags", "value_error"),
        ({"name": "ok", "tags": ["x" * 51]}, "body.tags.0", "string_too_long"),
        ({"name": "ok", "tags": ["fine", ""]}, "body.tags.1", "string_too_short"),
        ({"name": "ok", "owner": "someone-else"}, "body.owner", "extra_forbidden"),
        ({"name": "ok", "id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "body.id", "extra_forbidden"),
    ],
)
def test_invalid_items_are_422_naming_the_field(
    alice: LambdaApi, body: dict[str, Any], field: str, error_type: str
) -> None:
    response = alice.post("/items", body=body)

    assert response.status == 422
    assert response.error_code == "validation_failed"
    assert field_errors(response.json())[field] == error_type
    assert_no_items(alice)


def test_every_offending_field_is_reported(alice: LambdaApi) -> None:
    response = alice.post("/items", body={"name": "", "price": -1, "tags": "not-a-list"})

    assert set(field_errors(response.json())) == {"body.name", "body.price", "body.tags"}


def test_the_error_does_not_echo_the_input(alice: LambdaApi) -> None:
    response = alice.post("/items", body={"name": "secret-value-" + "x" * 300})

    assert response.status == 422
    assert b"secret-value" not in response.body


def test_a_replacement_is_validated_like_a_creation(alice: LambdaApi) -> None:
    item = alice.post("/items", body={"name": "ok"}).json()

    response = alice.put(f"/items/{item['id']}", body={"name": ""}, headers={"if-match": '"1"'})

    assert response.status == 422
    assert field_errors(response.json()) == {"body.name": "string_too_short"}
    assert alice.get(f"/items/{item['id']}").json() == item


def test_malformed_json_is_422(alice: LambdaApi) -> None:
    response = alice.post(
        "/items", body='{"name": "unterminated', headers={"content-type": "application/json"}
    )

    assert response.status == 422
    assert list(field_errors(response.json()).values()) == ["json_invalid"]
    assert_no_items(alice)


@pytest.mark.parametrize(
    ("query", "field", "error_type"),
    [
        ("limit=0", "query.limit", "greater_than_equal"),
        ("limit=101", "query.limit", "less_than_equal"),
        ("limit=ten", "query.limit", "int_parsing"),
    ],
)
def test_invalid_list_parameters_are_422(alice: LambdaApi, query: str, field: str, error_type: str) -> None:
    response = alice.get("/items", query=query)

    assert response.status == 422
    assert field_errors(response.json()) == {field: error_type}


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
def test_a_body_that_is_not_declared_json_is_415(alice: LambdaApi, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}

    response = alice.post("/items", body='{"name": "lamp"}', headers=headers)

    assert response.status == 415
    assert response.error_code == "unsupported_media_type"
    assert_no_items(alice)


def test_a_replacement_that_is_not_json_is_415(alice: LambdaApi) -> None:
    item = alice.post("/items", body={"name": "ok"}).json()

    response = alice.put(
        f"/items/{item['id']}", body="name=x", headers={"content-type": "text/plain", "if-match": '"1"'}
    )

    assert response.status == 415


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/merge-patch+json"])
def test_json_media_types_with_parameters_or_suffixes_are_accepted(
    alice: LambdaApi, content_type: str
) -> None:
    response = alice.post("/items", body='{"name": "lamp"}', headers={"content-type": content_type})

    assert response.status == 201


def test_the_largest_valid_item_fits_under_the_body_limit(alice: LambdaApi) -> None:
    """Every field at its maximum, in 4-byte characters, JSON-escaped: the worst case a client sends."""
    fields = {
        "name": EMOJI * 200,
        "description": EMOJI * 2000,
        "price": "9999999999.99",
        "tags": [f"{i:02d}" + EMOJI * 48 for i in range(20)],
    }
    body = json.dumps(fields).encode()
    assert len(body) < MAX_REQUEST_BODY_BYTES

    response = alice.post("/items", body=body, headers={"content-type": "application/json"})

    assert response.status == 201
    assert response.json()["name"] == EMOJI * 200


def test_a_body_over_the_limit_is_413(alice: LambdaApi) -> None:
    body = json.dumps({"name": "big", "description": "d" * MAX_REQUEST_BODY_BYTES})

    response = alice.post("/items", body=body, headers={"content-type": "application/json"})

    assert response.status == 413
    assert response.error_code == "payload_too_large"
    assert str(MAX_REQUEST_BODY_BYTES) in response.json()["error"]["message"]
    assert_no_items(alice)


def test_a_declared_length_over_the_limit_is_413_before_reading(alice: LambdaApi) -> None:
    response = alice.post(
        "/items",
        body='{"name": "small"}',
        headers={"content-type": "application/json", "content-length": str(MAX_REQUEST_BODY_BYTES + 1)},
    )

    assert response.status == 413


@pytest.fixture
def local_client() -> Iterator[TestClient]:
    """The app served directly over ASGI, as uvicorn serves it: no Lambda event, so no identity."""
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client


def test_a_streamed_body_over_the_limit_is_413(local_client: TestClient) -> None:
    """A chunked upload declares no length: the limit applies to the bytes received."""
    chunks = (b"x" * 8192 for _ in range(MAX_REQUEST_BODY_BYTES // 8192 + 1))

    response = local_client.post("/items", content=chunks, headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_non_numeric_content_length_is_400(local_client: TestClient) -> None:
    response = local_client.get("/health", headers={"content-length": "lots"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    "declared",
    ["0" * 5_000, "9" * 40, "1" + "0" * 19, "\u00b2", "\u0661", "+5", "-5", " 5", "5 ", "5, 5", "1_0", ""],
)
@pytest.mark.parametrize("path", ["/health", "/items"])
def test_a_content_length_not_of_at_most_19_ascii_digits_is_400(
    alice: LambdaApi, path: str, declared: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``int()`` takes some of these (or raises on them): none may reach it unchecked."""
    response = alice.request(
        "GET" if path == "/health" else "POST",
        path,
        body='{"name": "x"}',
        headers={"content-type": "application/json", "content-length": declared},
    )

    assert response.status == 400
    assert response.error_code == "bad_request"
    assert "UnhandledErrors" not in capsys.readouterr().out
    assert_no_items(alice)


def test_a_content_length_with_leading_zeros_within_19_digits_is_read(alice: LambdaApi) -> None:
    body = '{"name": "x"}'

    response = alice.post(
        "/items",
        body=body,
        headers={"content-type": "application/json", "content-length": str(len(body)).zfill(19)},
    )

    assert response.status == 201
