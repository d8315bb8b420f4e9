"""The round trip both deployment hooks run: health, then create, read, list, replace and delete an item.

The checks are the service's public contract as a client sees it: every status, the headers a client
relies on (``Content-Type``, ``Location``, ``ETag``, ``Cache-Control``) and the exact shape of every body.
How a request reaches the service is the caller's business (:data:`Send`): the pre-traffic hook invokes
the new version with payload 2.0 events, the post-traffic hook calls the HTTP API's stage URL.

The item the trip creates is always deleted again: the delete step removes it, and when a step fails
after the create, :func:`run` deletes it before re-raising. A failed cleanup is logged and never hides
the failure that made it necessary.

Standard library only: this module is part of the hooks' deployed asset.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

HEALTH_PATH = "/health"
HEALTH_VERSION_FIELD = "function_version"
"""Field of the ``GET /health`` body that carries ``AWS_LAMBDA_FUNCTION_VERSION``."""
ITEMS_PATH = "/items"
ITEM_FIELDS = frozenset({"id", "name", "description", "price", "tags", "version", "created_at", "updated_at"})
PAGE_FIELDS = frozenset({"items", "next_cursor"})
ERROR_FIELDS = frozenset({"code", "message", "request_id"})
NOT_FOUND_CODE = "item_not_found"
PRECONDITION_FAILED_CODE = "precondition_failed"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    """Sent as JSON with ``content-type: application/json``."""

    def encoded_body(self) -> bytes | None:
        return None if self.body is None else json.dumps(self.body).encode()

    def all_headers(self) -> dict[str, str]:
        headers = {"accept": "application/json", **{k.lower(): v for k, v in self.headers.items()}}
        if self.body is not None:
            headers["content-type"] = "application/json"
        return headers


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    """Lower-case names."""
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


Send = Callable[[Request], Response]
"""Delivers one request to the service and returns its answer; raises when there is no answer."""
Check = Callable[[Response], str | None]
"""A rule of the transport every answer must keep (say, CORS headers): the problem, or ``None``."""


class StepFailedError(Exception):
    """A step of the round trip got an answer the contract does not allow (or none at all)."""

    def __init__(self, step: str, problem: str) -> None:
        super().__init__(f"step {step!r} failed: {problem}")
        self.step = step
        self.problem = problem


class OutOfTimeError(StepFailedError):
    """Not enough time left to run a step and still clean up and report."""


@dataclass
class Budget:
    """How long the hook may keep calling the service before it must stop, clean up and report.

    ``remaining_ms`` is the Lambda context's ``get_remaining_time_in_millis``; ``call_seconds`` is the worst
    case of one request (the service function's timeout plus connection overhead), ``report_seconds`` what
    reporting to CodeDeploy may take. A step starts only if it, one cleanup request and the report all fit
    in the time left, so the hook reports before Lambda stops it. ``slow_seconds`` is the longest a step
    after the first (which may meet a cold start) may take: a version that answers near its timeout fails.
    """

    remaining_ms: Callable[[], int]
    call_seconds: float
    report_seconds: float
    slow_seconds: float

    def start(self, step: str, *, cleanup_pending: bool) -> None:
        needed = self.call_seconds * (2 if cleanup_pending else 1) + self.report_seconds
        left = self.remaining_ms() / 1000
        if left < needed:
            raise OutOfTimeError(step, f"{left:.1f} s left, the step needs up to {needed:.1f} s")

    def allows_cleanup(self) -> bool:
        return self.remaining_ms() / 1000 >= self.call_seconds + self.report_seconds


@dataclass
class Trip:
    """What one run did: the steps that passed and the item it created (``None`` once deleted)."""

    passed: list[str] = field(default_factory=list)
    item_id: str | None = None


def run(
    send: Send,
    *,
    expected_version: str,
    budget: Budget,
    trip: Trip | None = None,
    check: Check | None = None,
) -> Trip:
    """Run every step in order; raise :class:`StepFailedError` at the first one that fails.

    ``check``, when given, judges every answer of a step before the step's own checks.
    """
    trip = trip or Trip()
    try:
        _steps(send, expected_version=expected_version, budget=budget, trip=trip, check=check)
    finally:
        if trip.item_id is not None:
            _clean_up(send, budget, trip.item_id)
    return trip


def _steps(send: Send, *, expected_version: str, budget: Budget, trip: Trip, check: Check | None) -> None:
    def call(step: str, request: Request) -> Response:
        budget.start(step, cleanup_pending=trip.item_id is not None)
        started = time.monotonic()
        try:
            response = send(request)
        except Exception as error:
            raise StepFailedError(step, f"no answer: {type(error).__name__}: {error}") from error
        elapsed = time.monotonic() - started
        if request.method == "POST":
            trip.item_id = _created_id(response)
        problem = check(response) if check else None
        if problem:
            raise StepFailedError(step, f"answered {response.status}; {problem}")
        if trip.passed and elapsed > budget.slow_seconds:
            raise StepFailedError(step, f"answered in {elapsed:.1f} s, more than {budget.slow_seconds:g} s")
        return response

    health = call("health", Request("GET", HEALTH_PATH))
    body = _json(health, "health", 200)
    _expect_header(health, "health", "cache-control", "no-store")
    _expect(isinstance(body, dict) and body.get("status") == "ok", "health", f"body {body!r:.200}")
    reported = body.get(HEALTH_VERSION_FIELD)
    _expect(
        reported == expected_version, "health", f"reports version {reported!r}, expected {expected_version!r}"
    )
    trip.passed.append("health")

    fields: dict[str, Any] = {
        "name": "deployment hook probe",
        "description": "created and deleted by a deployment hook",
        "price": "1.50",
        "tags": ["deployment-hook"],
    }
    created = call("create", Request("POST", ITEMS_PATH, body=fields))
    item = _item(created, "create", 201)
    _expect_item(item, "create", fields, version=1)
    _expect_header(created, "create", "location", f"{ITEMS_PATH}/{item['id']}")
    _expect_header(created, "create", "etag", '"1"')
    trip.passed.append("create")

    location = f"{ITEMS_PATH}/{item['id']}"
    read = call("read", Request("GET", location))
    _expect(_item(read, "read", 200) == item, "read", f"read back {read.body[:300]!r}, created {item!r}")
    _expect_header(read, "read", "etag", '"1"')
    trip.passed.append("read")

    listed = call("list", Request("GET", ITEMS_PATH, query="limit=100"))
    page = _json(listed, "list", 200)
    _expect(isinstance(page, dict) and set(page) == PAGE_FIELDS, "list", f"page shape {listed.body[:300]!r}")
    _expect(
        isinstance(page["items"], list) and item in page["items"], "list", "the created item is not listed"
    )
    trip.passed.append("list")

    replacement = {"name": "deployment hook probe, replaced", "price": "2.00", "tags": []}
    replaced = call("replace", Request("PUT", location, headers={"if-match": '"1"'}, body=replacement))
    new_item = _item(replaced, "replace", 200)
    _expect_item(new_item, "replace", {**replacement, "description": None}, version=2)
    _expect(
        new_item["id"] == item["id"] and new_item["created_at"] == item["created_at"],
        "replace",
        "id or created_at changed",
    )
    _expect_header(replaced, "replace", "etag", '"2"')
    trip.passed.append("replace")

    stale = call("stale-replace", Request("PUT", location, headers={"if-match": '"1"'}, body=fields))
    _expect_error(stale, "stale-replace", 412, PRECONDITION_FAILED_CODE)
    trip.passed.append("stale-replace")

    deleted = call("delete", Request("DELETE", location, headers={"if-match": '"2"'}))
    _expect(deleted.status == 204, "delete", f"answered {deleted.status}: {deleted.body[:300]!r}")
    _expect(deleted.body == b"", "delete", f"a 204 with a body: {deleted.body[:100]!r}")
    trip.item_id = None
    trip.passed.append("delete")

    gone = call("read-deleted", Request("GET", location))
    _expect_error(gone, "read-deleted", 404, NOT_FOUND_CODE)
    trip.passed.append("read-deleted")


def _clean_up(send: Send, budget: Budget, item_id: str) -> None:
    """Delete the trip's item whatever its version; log (never raise) when that fails."""
    if not budget.allows_cleanup():
        logger.error("cleanup skipped: no time left to delete item %s", item_id)
        return
    try:
        response = send(Request("DELETE", f"{ITEMS_PATH}/{item_id}"))
    except Exception:
        logger.exception("cleanup failed: could not delete item %s", item_id)
        return
    if response.status in {204, 404}:
        logger.info("cleanup deleted item %s (%s)", item_id, response.status)
    else:
        logger.error(
            "cleanup failed: deleting item %s answered %s: %r", item_id, response.status, response.body[:300]
        )


def _created_id(response: Response) -> str | None:
    """The id of whatever the create answer says it created, however malformed the rest, so it is deleted."""
    if not 200 <= response.status < 300:
        return None
    try:
        body = json.loads(response.body)
    except ValueError:
        return None
    item_id = body.get("id") if isinstance(body, dict) else None
    return item_id if isinstance(item_id, str) and item_id and "/" not in item_id else None


def _expect(condition: bool, step: str, problem: str) -> None:
    if not condition:
        raise StepFailedError(step, problem)


def _expect_header(response: Response, step: str, name: str, value: str) -> None:
    actual = response.header(name)
    _expect(actual == value, step, f"header {name}: {actual!r}, expected {value!r}")


def _json(response: Response, step: str, status: int) -> Any:
    _expect(
        response.status == status,
        step,
        f"answered {response.status}, expected {status}: {response.body[:300]!r}",
    )
    content_type = (response.header("content-type") or "").split(";")[0].strip()
    _expect(content_type == "application/json", step, f"content-type {content_type!r}")
    try:
        return json.loads(response.body)
    except ValueError:
        raise StepFailedError(step, f"body is not JSON: {response.body[:200]!r}") from None


def _item(response: Response, step: str, status: int) -> dict[str, Any]:
    body = _json(response, step, status)
    _expect(isinstance(body, dict) and set(body) == ITEM_FIELDS, step, f"item shape {response.body[:300]!r}")
    _expect(isinstance(body["id"], str) and bool(body["id"]), step, f"item id {body['id']!r}")
    for moment in ("created_at", "updated_at"):
        _expect(
            _is_timestamp(body[moment]), step, f"{moment} {body[moment]!r} is not an ISO 8601 UTC timestamp"
        )
    result: dict[str, Any] = body
    return result


def _expect_item(item: Mapping[str, Any], step: str, fields: Mapping[str, Any], *, version: int) -> None:
    expected = {"description": None, "price": None, "tags": [], **fields, "version": version}
    actual = {name: item[name] for name in expected}
    _expect(actual == expected, step, f"item {actual!r}, expected {expected!r}")


def _expect_error(response: Response, step: str, status: int, code: str) -> None:
    body = _json(response, step, status)
    error = body.get("error") if isinstance(body, dict) else None
    _expect(
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
