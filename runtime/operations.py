"""Operation ids and tags of the OpenAPI document: the names generated clients give their calls.

FastAPI's default operation id joins the route function's name, its path and its method
(``create_item_items_post``), so a client's method names change whenever a path does. Here an operation's
id is its route function's name in camelCase (``create_item`` is ``createItem``), chosen once by
:func:`operation_id`, which :func:`runtime.main.create_app` gives FastAPI for every route;
``tests/runtime/test_operations.py`` holds the whole list, so renaming a route function is a visible
change of the contract, never an accident.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi.routing import APIRoute

ITEMS_TAG = "items"
HEALTH_TAG = "health"
TAGS: list[dict[str, Any]] = [
    {
        "name": ITEMS_TAG,
        "description": "The caller's items. Every operation needs a bearer token; a caller sees only "
        "the items it created, and any other item is a 404.",
    },
    {
        "name": HEALTH_TAG,
        "description": "Liveness and the deployed version, without a token.",
    },
]
"""The tags, in the order documentation shows them."""


def operation_id(route: APIRoute) -> str:
    """``route``'s operation id: its function's name in camelCase (``list_items`` is ``listItems``)."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)
