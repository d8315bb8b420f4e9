"""The generated clients round-trip through the emulated dev stage, as ``make run`` serves it.

Each client is what ``make clients`` generates from the committed contract: a Python job's
(``openapi-python-client``) and a web app's (``openapi-typescript`` types with ``openapi-fetch``, type-checked
by ``tsc`` and run on the project's Node). Each makes every call of the contract and parses every answer
into its documented model: an idempotent create and its retry, a read, another user's 404, two pages
joined by a cursor, a replace with the ETag, the stale ETag's 412, an invalid body's 422, a delete.
"""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import Any

from tests.support.emulated_stage import RunningApi
from tests.support.generated_clients import TypeScriptClient


def _user(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def test_the_python_client_round_trips(dev_api: RunningApi, python_client: ModuleType) -> None:
    from items_client.api.items import (  # type: ignore[import-not-found]
        create_item,
        delete_item,
        get_item,
        list_items,
        replace_item,
    )
    from items_client.models import ErrorEnvelope, Item, ItemPage, ItemWrite  # type: ignore[import-not-found]

    url = dev_api.emulator.url
    client = python_client.AuthenticatedClient(base_url=url, token=dev_api.token(_user("job")))
    other = python_client.AuthenticatedClient(base_url=url, token=dev_api.token(_user("other")))
    key = str(uuid.uuid4())
    lamp = ItemWrite(name="lamp", price="9.90", tags=["home"])

    first = create_item.sync_detailed(client=client, body=lamp, idempotency_key=key)
    retried = create_item.sync_detailed(client=client, body=lamp, idempotency_key=key)
    assert (first.status_code, first.headers["etag"]) == (201, '"1"')
    assert first.headers["idempotent-replayed"] == "false"
    item: Any = first.parsed
    assert isinstance(item, Item)
    assert (item.name, item.price, item.tags, item.version) == ("lamp", "9.90", ["home"], 1)
    assert (retried.status_code, retried.headers["idempotent-replayed"]) == (201, "true")
    assert retried.parsed.id == item.id

    read = get_item.sync_detailed(item.id, client=client)
    assert (read.status_code, read.parsed.name, read.headers["etag"]) == (200, "lamp", '"1"')
    stranger = get_item.sync_detailed(item.id, client=other)
    assert stranger.status_code == 404
    assert isinstance(stranger.parsed, ErrorEnvelope)
    assert stranger.parsed.error.code == "item_not_found"

    for name in ("second", "third"):
        assert create_item.sync_detailed(client=client, body=ItemWrite(name=name)).status_code == 201
    page = list_items.sync_detailed(client=client, limit=2)
    assert isinstance(page.parsed, ItemPage)
    rest = list_items.sync_detailed(client=client, limit=2, cursor=page.parsed.next_cursor)
    assert [listed.name for listed in page.parsed.items] == ["lamp", "second"]
    assert ([listed.name for listed in rest.parsed.items], rest.parsed.next_cursor) == (["third"], None)

    replaced = replace_item.sync_detailed(
        item.id, client=client, body=ItemWrite(name="desk lamp", price=12.5), if_match=read.headers["etag"]
    )
    assert (replaced.status_code, replaced.parsed.price, replaced.parsed.version) == (200, "12.50", 2)
    stale = replace_item.sync_detailed(
        item.id, client=client, body=ItemWrite(name="too late"), if_match=read.headers["etag"]
    )
    assert (stale.status_code, stale.parsed.error.code) == (412, "precondition_failed")

    invalid = create_item.sync_detailed(client=client, body=ItemWrite(name=""))
    assert (invalid.status_code, invalid.parsed.error.code) == (422, "validation_failed")

    deleted = delete_item.sync_detailed(item.id, client=client, if_match=replaced.headers["etag"])
    assert deleted.status_code == 204
    assert get_item.sync_detailed(item.id, client=client).status_code == 404


def test_the_typescript_client_round_trips_under_the_projects_node(
    dev_api: RunningApi, typescript_client: TypeScriptClient
) -> None:
    url = dev_api.emulator.url
    tokens = dev_api.token(_user("web")), dev_api.token(_user("other"))

    result = typescript_client.call("roundTrip", url, *tokens, str(uuid.uuid4()))

    assert result == {
        "created": [201, '"1"', "false"],
        "retried": [201, True, "true"],
        "item": {"name": "lamp", "price": "9.90", "tags": ["home"], "version": 1},
        "read": [200, "lamp", '"1"'],
        "stranger": [404, "item_not_found"],
        "pages": [["lamp", "second"], ["third"], None],
        "replaced": [200, "desk lamp", "12.50", 2],
        "stale": [412, "precondition_failed"],
        "invalid": [422, "validation_failed"],
        "deleted": [204, 404, "item_not_found"],
    }
