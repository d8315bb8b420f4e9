"""Operation ids, tags and prose are what a generated client is made of: stable names, written for readers.

The ids become the generated clients' method names (``client.createItem``, ``create_item.sync``), so the
whole list is held here: a change to it is a change of every client, made on purpose.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from runtime.operations import operation_id
from tests.support.apigw import LambdaApi

OPERATION_IDS = {
    ("get", "/health"): ("getHealth", "health"),
    ("post", "/items"): ("createItem", "items"),
    ("get", "/items"): ("listItems", "items"),
    ("get", "/items/{item_id}"): ("getItem", "items"),
    ("put", "/items/{item_id}"): ("replaceItem", "items"),
    ("delete", "/items/{item_id}"): ("deleteItem", "items"),
}


@pytest.fixture(scope="module")
def document(api: LambdaApi) -> dict[str, Any]:
    response = api.get("/openapi.json")
    assert response.status == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def test_every_operation_has_its_stable_id_and_one_tag(document: dict[str, Any]) -> None:
    found = {
        key: (operation["operationId"], *operation["tags"])
        for key, operation in _operations(document).items()
    }

    assert found == OPERATION_IDS


def test_tags_are_declared_with_a_description_in_order(document: dict[str, Any]) -> None:
    assert [tag["name"] for tag in document["tags"]] == ["items", "health"]
    assert all(tag["description"] for tag in document["tags"])


def test_every_operation_has_a_summary_and_a_description(document: dict[str, Any]) -> None:
    for key, operation in _operations(document).items():
        assert operation["summary"], key
        assert len(operation["description"]) > 40, key


def test_the_id_is_the_route_functions_name_in_camel_case() -> None:
    def replace_item_now() -> None:
        """A route function of three words."""

    assert operation_id(APIRoute("/x", replace_item_now)) == "replaceItemNow"
