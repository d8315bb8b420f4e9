"""Each class of breaking change is called breaking, and additions a client can ignore are not.

Every case edits the committed contract (docs/api/openapi.json) the way a branch would change the code,
and compares the two with the pinned engine under the project's Node: a removed response field must
fail the gate, an added optional field must pass it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from serverless_fastapi_cdk.toolkit.contract_diff import ContractDiff, Severity, compare, render_markdown
from tools.api_contract.documents import CONTRACT_FILE, ROOT

Document = dict[str, Any]
ITEM = ("components", "schemas", "Item")
ITEM_WRITE = ("components", "schemas", "ItemWrite")


@pytest.fixture(scope="module")
def base() -> Document:
    document: Document = json.loads((ROOT / CONTRACT_FILE).read_text())
    return document


def _at(document: Document, *path: str) -> Any:
    node: Any = document
    for key in path:
        node = node[key]
    return node


def _parameters(document: Document, path: str, method: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = document["paths"][path][method]["parameters"]
    return found


def remove_response_field(document: Document) -> None:
    item = _at(document, *ITEM)
    del item["properties"]["tags"]
    item["required"].remove("tags")


def make_response_field_optional(document: Document) -> None:
    _at(document, *ITEM)["required"].remove("name")


def change_response_field_type(document: Document) -> None:
    _at(document, *ITEM)["properties"]["version"] = {"type": "string"}


def remove_operation(document: Document) -> None:
    del document["paths"]["/items/{item_id}"]["delete"]


def remove_status(document: Document) -> None:
    del document["paths"]["/items/{item_id}"]["put"]["responses"]["412"]


def remove_response_header(document: Document) -> None:
    del document["paths"]["/items/{item_id}"]["get"]["responses"]["200"]["headers"]["ETag"]


def add_required_parameter(document: Document) -> None:
    _parameters(document, "/items", "get").append(
        {"name": "colour", "in": "query", "required": True, "schema": {"type": "string"}}
    )


def make_parameter_required(document: Document) -> None:
    (if_match,) = (p for p in _parameters(document, "/items/{item_id}", "delete") if p["name"] == "If-Match")
    if_match["required"] = True


def add_required_request_field(document: Document) -> None:
    write = _at(document, *ITEM_WRITE)
    write["properties"]["colour"] = {"type": "string"}
    write["required"].append("colour")


def lower_a_maximum(document: Document) -> None:
    (limit,) = (p for p in _parameters(document, "/items", "get") if p["name"] == "limit")
    limit["schema"]["maximum"] = 50


def shorten_a_request_field(document: Document) -> None:
    _at(document, *ITEM_WRITE)["properties"]["name"]["maxLength"] = 100


def narrow_a_request_type(document: Document) -> None:
    price = _at(document, *ITEM_WRITE)["properties"]["price"]
    price["anyOf"] = [shape for shape in price["anyOf"] if shape.get("type") != "number"]


def add_a_response_enum_value(document: Document) -> None:
    status = _at(document, "components", "schemas", "Health", "properties", "status")
    status.pop("const", None)
    status["enum"] = ["ok", "degraded"]


def require_a_token(document: Document) -> None:
    document["paths"]["/health"]["get"]["security"] = [{"bearerAuth": []}]


BREAKING: dict[str, tuple[Callable[[Document], None], str, str]] = {
    "removed response field": (remove_response_field, "GET /items/{item_id}", "field `tags` removed"),
    "response field no longer required": (
        make_response_field_optional,
        "GET /items/{item_id}",
        "`name` no longer required",
    ),
    "response field type changed": (change_response_field_type, "GET /items/{item_id}", "`type`"),
    "removed operation": (remove_operation, "DELETE /items/{item_id}", "removed"),
    "removed status": (remove_status, "PUT /items/{item_id}", "removed"),
    "removed response header": (remove_response_header, "GET /items/{item_id}", "removed"),
    "new required parameter": (add_required_parameter, "GET /items", "added"),
    "optional parameter made required": (make_parameter_required, "DELETE /items/{item_id}", "now required"),
    "new required request field": (add_required_request_field, "POST /items", "`colour` now required"),
    "lower maximum": (lower_a_maximum, "GET /items", "`maximum` 100 → 50"),
    "shorter request field": (shorten_a_request_field, "PUT /items/{item_id}", "`maxLength` 200 → 100"),
    "narrowed request type": (narrow_a_request_type, "POST /items", ""),
    "response enum widened": (add_a_response_enum_value, "GET /health", 'enum value "degraded" added'),
    "security added": (require_a_token, "GET /health", "added"),
}


def _changed(base: Document, edit: Callable[[Document], None]) -> ContractDiff:
    changed = copy.deepcopy(base)
    edit(changed)
    return compare(base, changed)


@pytest.mark.parametrize("case", sorted(BREAKING))
def test_each_breaking_class_is_breaking(base: Document, case: str) -> None:
    edit, operation, change = BREAKING[case]

    diff = _changed(base, edit)

    assert any(c.operation == operation and change in c.change for c in diff.breaking), diff.changes


def test_an_added_optional_field_is_not_breaking(base: Document) -> None:
    def add_optional_field(document: Document) -> None:
        for schema in (ITEM, ITEM_WRITE):
            _at(document, *schema)["properties"]["colour"] = {"type": "string"}

    diff = _changed(base, add_optional_field)

    assert not diff.breaking
    assert {c.operation for c in diff.of(Severity.NON_BREAKING)} >= {"POST /items", "GET /items/{item_id}"}


def test_an_optional_parameter_a_new_operation_and_new_prose_are_not_breaking(base: Document) -> None:
    def extend(document: Document) -> None:
        _parameters(document, "/items", "get").append(
            {"name": "colour", "in": "query", "required": False, "schema": {"type": "string"}}
        )
        document["paths"]["/items/{item_id}"]["patch"] = copy.deepcopy(
            document["paths"]["/items/{item_id}"]["put"]
        )
        document["paths"]["/items"]["get"]["description"] = "Another description."

    diff = _changed(base, extend)

    assert not diff.breaking
    where = {(change.operation, change.where) for change in diff.changes}
    assert ("GET /items", "query parameter colour (optional)") in where
    assert "PATCH /items/{item_id}" in {c.operation for c in diff.changes}
    assert Severity.ANNOTATION in {c.severity for c in diff.changes}


def test_the_same_document_has_no_change(base: Document) -> None:
    assert compare(base, copy.deepcopy(base)).changes == ()


def test_the_section_lists_breaking_changes_before_the_rest(base: Document) -> None:
    def remove_a_field_and_add_one(document: Document) -> None:
        remove_response_field(document)
        _at(document, *ITEM_WRITE)["properties"]["colour"] = {"type": "string"}

    section = render_markdown(
        _changed(base, remove_a_field_and_add_one), base="main", head="branch", gate="Labels allow it."
    )

    assert section.startswith("## API contract: `main` → `branch`")
    assert "⛔ **" in section
    assert "Labels allow it." in section
    assert section.index("### ⛔ Breaking") < section.index("### Other changes")
    assert "| `GET /items/{item_id}` | response 200 body | field `tags` removed |" in section


def test_a_section_without_changes_says_so(base: Document) -> None:
    section = render_markdown(compare(base, base), base="main", head="branch")

    assert "No change" in section
    assert "Breaking" not in section
