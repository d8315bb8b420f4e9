"""``/openapi.json`` is the contract clients see: every answer, whoever gives it, and every format.

API Gateway answers some requests itself, in a body of its own (docs/local-emulator.md, "What the API
answers itself"); the document must list those statuses with that shape beside the function's envelope.
The formats it states for cursors, ids and If-Match must hold for every value the service issues and
accepts, so that a client (or a fuzzer) that follows them is never refused for the format.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from runtime.cursors import CURSOR_PATTERN, encode_cursor
from runtime.ids import ID_PATTERN, new_item_id
from runtime.preconditions import IF_MATCH_PATTERN, parse_if_match
from runtime.schemas.items import PRICE_TEXT, ItemWrite
from tests.support.apigw import LambdaApi

ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}
GATEWAY = {"$ref": "#/components/schemas/GatewayError"}
BOTH = {"oneOf": [ENVELOPE, GATEWAY]}
OPERATIONS = [
    ("get", "/health"),
    ("post", "/items"),
    ("get", "/items"),
    ("get", "/items/{item_id}"),
    ("put", "/items/{item_id}"),
    ("delete", "/items/{item_id}"),
]


@pytest.fixture(scope="module")
def document(api: LambdaApi) -> dict[str, Any]:
    response = api.get("/openapi.json")
    assert response.status == 200
    body: dict[str, Any] = response.json()
    return body


def _schema(document: dict[str, Any], method: str, path: str, status: int) -> Any:
    return document["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]


def _parameter(document: dict[str, Any], method: str, path: str, name: str) -> dict[str, Any]:
    (parameter,) = (p for p in document["paths"][path][method]["parameters"] if p["name"] == name)
    found: dict[str, Any] = parameter
    return found


def test_the_gateways_body_is_a_message_only(document: dict[str, Any]) -> None:
    assert document["components"]["schemas"]["GatewayError"] == {
        "title": "GatewayError",
        "description": 'API Gateway\'s own answer, e.g. `{"message": "Too Many Requests"}`.',
        "type": "object",
        "properties": {"message": {"type": "string"}},
        "required": ["message"],
        "additionalProperties": False,
    }


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_lists_what_the_gateway_and_the_middleware_answer(
    document: dict[str, Any], method: str, path: str
) -> None:
    assert _schema(document, method, path, 429) == GATEWAY
    for status in (413, 500):
        assert _schema(document, method, path, status) == BOTH, status
    assert _schema(document, method, path, 503) == (GATEWAY if path == "/health" else BOTH), (
        "only the integration's timeout answers 503 on a route that calls no dependency"
    )
    assert _schema(document, method, path, 400) == ENVELOPE


@pytest.mark.parametrize(
    ("method", "path"), [operation for operation in OPERATIONS if operation[1] != "/health"]
)
def test_the_authorizers_answers_are_listed_where_it_guards_and_the_token_is_declared(
    document: dict[str, Any], method: str, path: str
) -> None:
    operation = document["paths"][path][method]
    assert operation["security"] == [{"bearerAuth": []}]
    assert _schema(document, method, path, 401) == BOTH
    assert _schema(document, method, path, 403) == GATEWAY
    assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]


def test_the_public_health_route_has_no_token_and_no_authorizer_answer(document: dict[str, Any]) -> None:
    health = document["paths"]["/health"]["get"]
    assert "security" not in health
    assert {"401", "403"}.isdisjoint(health["responses"])
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_if_match_is_required_on_replace_only(document: dict[str, Any]) -> None:
    assert _parameter(document, "put", "/items/{item_id}", "If-Match")["required"] is True
    assert _parameter(document, "delete", "/items/{item_id}", "If-Match")["required"] is False


def test_a_replace_without_if_match_is_428_even_now_that_the_header_is_required(alice: LambdaApi) -> None:
    response = alice.put(f"/items/{new_item_id()}", body={"name": "x"})

    assert response.status == 428
    assert response.error_code == "precondition_required"


def test_formats_are_stated_as_patterns_and_lengths(document: dict[str, Any]) -> None:
    item_id = _parameter(document, "get", "/items/{item_id}", "item_id")["schema"]
    assert (item_id["pattern"], item_id["minLength"], item_id["maxLength"]) == (ID_PATTERN, 26, 26)
    cursor = _parameter(document, "get", "/items", "cursor")["schema"]
    assert (cursor["pattern"], cursor["minLength"], cursor["maxLength"]) == (CURSOR_PATTERN, 82, 82)
    key = _parameter(document, "post", "/items", "Idempotency-Key")["schema"]["anyOf"][0]
    assert (key["pattern"], key["minLength"], key["maxLength"]) == ("^[\\x21-\\x7e]+$", 1, 128)
    assert (
        _parameter(document, "put", "/items/{item_id}", "If-Match")["schema"]["pattern"] == IF_MATCH_PATTERN
    )


def test_every_issued_id_and_cursor_has_the_documented_format() -> None:
    for _ in range(200):
        item_id = new_item_id()
        assert re.fullmatch(ID_PATTERN.strip("^$"), item_id)
        cursor = encode_cursor(owner="someone", after_id=item_id, key=b"k" * 32)
        assert re.fullmatch(CURSOR_PATTERN.strip("^$"), cursor), cursor


@settings(max_examples=300, deadline=None)
@given(st.from_regex(IF_MATCH_PATTERN, fullmatch=True))
def test_every_if_match_of_the_documented_format_is_read(value: str) -> None:
    parse_if_match(value)


def test_success_headers_are_documented(document: dict[str, Any]) -> None:
    created = document["paths"]["/items"]["post"]["responses"]["201"]["headers"]
    assert created["Location"]["required"]
    assert created["ETag"]["required"]
    assert not created["Idempotent-Replayed"].get("required", False)
    for method in ("get", "put"):
        assert document["paths"]["/items/{item_id}"][method]["responses"]["200"]["headers"]["ETag"][
            "required"
        ]


def _accepts_price(price: object) -> bool:
    try:
        ItemWrite(name="x", price=price)  # type: ignore[arg-type]
    except ValidationError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(st.from_regex(PRICE_TEXT, fullmatch=True))
def test_every_price_string_of_the_documented_format_is_accepted(price: str) -> None:
    assert _accepts_price(price)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789.+-eE_ N", max_size=16))
def test_every_price_string_accepted_has_the_documented_format(price: str) -> None:
    if _accepts_price(price):
        assert re.fullmatch(PRICE_TEXT, price)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=999_999_999_999))
def test_every_price_number_of_the_documented_format_is_accepted(cents: int) -> None:
    assert _accepts_price(cents / 100)
