"""The items service's deployment check: create, read, list, replace and delete an item after health.

Both deployment hooks run it after their health check (it is bundled into their asset as
``service_check``, see ``cdk_app/service.py``). The checks are the service's public contract as a client
sees it: every status, the headers a client relies on (``Location``, ``ETag``, ``Cache-Control``) and the
exact shape of every body. The item it creates is registered for cleanup the moment it exists, so the
hook deletes it again whatever step fails later.

Standard library only: this module is deployed beside ``probe`` in the hooks' asset.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

if __package__:  # imported as cdk_app.items_round_trip
    from serverless_fastapi_cdk.hooks import probe
else:  # deployed as service_check.py beside probe.py at the hooks' task root
    import probe  # type: ignore[import-not-found,no-redef]

ITEMS_PATH = "/items"
ITEM_FIELDS = frozenset({"id", "name", "description", "price", "tags", "version", "created_at", "updated_at"})
PAGE_FIELDS = frozenset({"items", "next_cursor"})
ERROR_FIELDS = frozenset({"code", "message", "request_id"})
NOT_FOUND_CODE = "item_not_found"
PRECONDITION_FAILED_CODE = "precondition_failed"
CALLS = 8
"""Requests of the check (7 steps) plus one cleanup request, which the hooks' timeouts budget for."""


def run(call: probe.Call, trip: probe.Trip, health: probe.Response) -> None:
    """Every step in order after the health check; raise ``probe.StepFailedError`` at the first failure."""
    expect = probe.expect
    body = probe.json_body(health, "health", 200)
    probe.expect_header(health, "health", "cache-control", "no-store")
    expect(body.get("status") == "ok", "health", f"body {body!r:.200}")

    fields: dict[str, Any] = {
        "name": "deployment hook probe",
        "description": "created and deleted by a deployment hook",
        "price": "1.50",
        "tags": ["deployment-hook"],
    }
    created = call("create", probe.Request("POST", ITEMS_PATH, body=fields), undo=_undo_create)
    item = _item(created, "create", 201)
    _expect_item(item, "create", fields, version=1)
    probe.expect_header(created, "create", "location", f"{ITEMS_PATH}/{item['id']}")
    probe.expect_header(created, "create", "etag", '"1"')
    trip.passed.append("create")

    location = f"{ITEMS_PATH}/{item['id']}"
    read = call("read", probe.Request("GET", location))
    expect(_item(read, "read", 200) == item, "read", f"read back {read.body[:300]!r}, created {item!r}")
    probe.expect_header(read, "read", "etag", '"1"')
    trip.passed.append("read")

    listed = call("list", probe.Request("GET", ITEMS_PATH, query="limit=100"))
    page = probe.json_body(listed, "list", 200)
    expect(isinstance(page, dict) and set(page) == PAGE_FIELDS, "list", f"page shape {listed.body[:300]!r}")
    expect(
        isinstance(page["items"], list) and item in page["items"], "list", "the created item is not listed"
    )
    trip.passed.append("list")

    replacement = {"name": "deployment hook probe, replaced", "price": "2.00", "tags": []}
    replaced = call("replace", probe.Request("PUT", location, headers={"if-match": '"1"'}, body=replacement))
    new_item = _item(replaced, "replace", 200)
    _expect_item(new_item, "replace", {**replacement, "description": None}, version=2)
    expect(
        new_item["id"] == item["id"] and new_item["created_at"] == item["created_at"],
        "replace",
        "id or created_at changed",
    )
    probe.expect_header(replaced, "replace", "etag", '"2"')
    trip.passed.append("replace")

    stale = call("stale-replace", probe.Request("PUT", location, headers={"if-match": '"1"'}, body=fields))
    _expect_error(stale, "stale-replace", 412, PRECONDITION_FAILED_CODE)
    trip.passed.append("stale-replace")

    deleted = call("delete", probe.Request("DELETE", location, headers={"if-match": '"2"'}))
    expect(deleted.status == 204, "delete", f"answered {deleted.status}: {deleted.body[:300]!r}")
    expect(deleted.body == b"", "delete", f"a 204 with a body: {deleted.body[:100]!r}")
    trip.cleanup = None
    trip.passed.append("delete")

    gone = call("read-deleted", probe.Request("GET", location))
    _expect_error(gone, "read-deleted", 404, NOT_FOUND_CODE)
    trip.passed.append("read-deleted")


def _undo_create(response: probe.Response) -> probe.Request | None:
    """Deletes whatever the create answer says it created, however malformed the rest."""
    if not 200 <= response.status < 300:
        return None
    try:
        body = json.loads(response.body)
    except ValueError:
        return None
    item_id = body.get("id") if isinstance(body, dict) else None
    if not (isinstance(item_id, str) and item_id and "/" not in item_id):
        return None
    return probe.Request("DELETE", f"{ITEMS_PATH}/{item_id}")


def _item(response: probe.Response, step: str, status: int) -> dict[str, Any]:
    body = probe.json_body(response, step, status)
    probe.expect(
        isinstance(body, dict) and set(body) == ITEM_FIELDS, step, f"item shape {response.body[:300]!r}"
    )
    probe.expect(isinstance(body["id"], str) and bool(body["id"]), step, f"item id {body['id']!r}")
    for moment in ("created_at", "updated_at"):
        probe.expect(
            _is_timestamp(body[moment]), step, f"{moment} {body[moment]!r} is not an ISO 8601 UTC timestamp"
        )
    result: dict[str, Any] = body
    return result


def _expect_item(item: Mapping[str, Any], step: str, fields: Mapping[str, Any], *, version: int) -> None:
    expected = {"description": None, "price": None, "tags": [], **fields, "version": version}
    actual = {name: item[name] for name in expected}
    probe.expect(actual == expected, step, f"item {actual!r}, expected {expected!r}")


def _expect_error(response: probe.Response, step: str, status: int, code: str) -> None:
    body = probe.json_body(response, step, status)
    error = body.get("error") if isinstance(body, dict) else None
    probe.expect(
        isinstance(error, dict) and set(error) >= ERROR_FIELDS and error["code"] == code,
        step,
        f"error envelope {response.body[:300]!r}, expected code {code!r}",
    )


def _is_timestamp(value: Any) -> bool:
    if not isinstance(value, str) or not value.endswith("Z"):
        return False
    try:
        time.strptime(value[:-1].split(".")[0], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return False
    return True
