"""Dependency faults, through the emulated API and Lambda: 503 with Retry-After, nothing half-written,
and recovery without restarting anything when the dependency returns.

DynamoDB *unreachable* is real: the emulator's local AWS server is stopped (connections are refused)
and started again on the same port. *Throttling* and a Secrets Manager *outage* are injected through
botocore's event hooks inside the function's environment (``fixtures/fault_function``), the one stub
of this suite. botocore's standard retry policy runs as deployed: each 503 comes after its retries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.service.clients import Caller
from tests.service.conftest import FaultApi, FaultPlan, Figures, dynamodb_error

ITEM_OPERATIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query")


@pytest.fixture
def caller(fault_api: FaultApi) -> Callable[[str], Caller]:
    """A signed-in user of the fault API, with a name unique to this run."""
    return lambda name: Caller(fault_api.api, f"{name}-{uuid4()}")


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert set(error) == {"code", "message", "request_id"}
    assert error["request_id"] == response.headers["apigw-requestid"]


def every_route(user: Caller, item_id: str) -> dict[str, httpx.Response]:
    """One request per route, each of which needs DynamoDB."""
    path = f"/items/{item_id}"
    return {
        "POST": user.request("POST", "/items", json={"name": "during the fault"}),
        "POST idempotent": user.request(
            "POST", "/items", json={"name": "during the fault"}, headers={"idempotency-key": "fault-1"}
        ),
        "GET": user.request("GET", path),
        "GET list": user.request("GET", "/items"),
        "PUT": user.request("PUT", path, json={"name": "changed"}, headers={"if-match": '"1"'}),
        "DELETE": user.request("DELETE", path, headers={"if-match": '"1"'}),
    }


def cold_starts(api: FaultApi) -> int:
    return api.api.console().count("Init Duration")


def assert_unchanged(user: Caller, item: dict[str, Any]) -> None:
    """The item is as it was, and nothing else was written for the user."""
    assert user.listing() == [item]
    replay = user.request("GET", f"/items/{item['id']}")
    assert (replay.status_code, replay.headers["etag"]) == (200, '"1"')


def test_with_dynamodb_unreachable_every_route_answers_503_and_recovers_without_restart(
    fault_api: FaultApi, caller: Callable[[str], Caller], figures: Figures
) -> None:
    user = caller("outage")
    item = user.create("before the outage")
    environments_before = cold_starts(fault_api)

    local_aws = fault_api.api.emulator.aws
    local_aws.stop()
    try:
        answers = every_route(user, item["id"])
        health = fault_api.api.client.get("/health")
    finally:
        local_aws.start()

    for answer in answers.values():
        assert_unavailable(answer)
    assert health.status_code == 200
    assert_unchanged(user, item)
    assert user.request("POST", "/items", json={"name": "after"}).status_code == 201
    assert cold_starts(fault_api) == environments_before
    figures.record(
        "DynamoDB unreachable (local server stopped)",
        f"{len(answers)}/{len(answers)} routes 503 + Retry-After + envelope, /health 200, "
        "nothing written, recovered with 0 new cold starts",
    )


def test_with_dynamodb_throttling_every_route_answers_503_and_recovers(
    fault_plan: FaultPlan, caller: Callable[[str], Caller], figures: Figures
) -> None:
    """Each DynamoDB throttling code is mapped to 503 by the runtime tests; this is the end-to-end path."""
    code = "ProvisionedThroughputExceededException"
    user = caller("throttled")
    item = user.create("before throttling")

    fault_plan.inject(*(dynamodb_error(operation, code) for operation in ITEM_OPERATIONS))
    answers = every_route(user, item["id"])
    fault_plan.clear()

    for answer in answers.values():
        assert_unavailable(answer)
    assert_unchanged(user, item)
    assert user.request("POST", "/items", json={"name": "after"}).status_code == 201
    figures.record(
        f"DynamoDB throttled ({code}, injected)",
        f"{len(answers)}/{len(answers)} routes 503 + Retry-After + envelope, nothing written, recovered",
    )


def test_a_create_throttled_after_its_idempotency_record_leaves_no_record_that_blocks_the_retry(
    fault_plan: FaultPlan, caller: Callable[[str], Caller]
) -> None:
    user = caller("half-written")
    body = {"name": "retried after throttling"}
    key = {"idempotency-key": "retry-me"}

    fault_plan.inject(
        dynamodb_error("PutItem", "ProvisionedThroughputExceededException", body_contains='"ITEM#')
    )
    throttled = user.request("POST", "/items", json=body, headers=key)
    fault_plan.clear()
    retried = user.request("POST", "/items", json=body, headers=key)

    assert_unavailable(throttled)
    assert retried.status_code == 201, retried.text
    assert retried.headers["idempotent-replayed"] == "false"
    assert user.listing() == [retried.json()]


def test_with_secrets_manager_unavailable_only_paging_answers_503(
    fault_plan: FaultPlan, caller: Callable[[str], Caller], figures: Figures
) -> None:
    user = caller("no-secrets")
    items = [user.create(f"item {number}") for number in range(3)]
    outage = {"service": "secretsmanager", "operation": "GetSecretValue", "code": "InternalServiceError"}

    fault_plan.inject({**outage, "status": 500}, empty_secret_cache=True)
    paged = user.request("GET", "/items", params={"limit": 2})
    whole = user.request("GET", "/items", params={"limit": 10})
    read = user.request("GET", f"/items/{items[0]['id']}")
    created = user.request("POST", "/items", json={"name": "during the outage"})
    replaced = user.request(
        "PUT", f"/items/{items[1]['id']}", json={"name": "new"}, headers={"if-match": '"1"'}
    )
    deleted = user.request("DELETE", f"/items/{items[2]['id']}")
    fault_plan.clear()

    assert_unavailable(paged)
    assert (whole.status_code, [item["id"] for item in whole.json()["items"]]) == (
        200,
        [item["id"] for item in items],
    )
    assert [read.status_code, created.status_code, replaced.status_code, deleted.status_code] == [
        200,
        201,
        200,
        204,
    ]
    first_page = user.request("GET", "/items", params={"limit": 2})
    assert first_page.status_code == 200
    second_page = user.request(
        "GET", "/items", params={"limit": 2, "cursor": first_page.json()["next_cursor"]}
    )
    assert second_page.status_code == 200
    figures.record(
        "Secrets Manager unavailable (injected, cold cache)",
        "listing that needs a cursor: 503 + Retry-After; listing without, read, create, replace, delete: "
        "2xx; recovered",
    )


def test_a_cached_cursor_key_rides_out_a_secrets_manager_outage(
    fault_plan: FaultPlan, caller: Callable[[str], Caller]
) -> None:
    user = caller("cached-key")
    for number in range(3):
        user.create(f"item {number}")
    assert user.request("GET", "/items", params={"limit": 2}).status_code == 200

    fault_plan.inject(
        {"service": "secretsmanager", "operation": "GetSecretValue", "code": "InternalServiceError"}
    )
    paged = user.request("GET", "/items", params={"limit": 2})

    assert paged.status_code == 200
    following = user.request("GET", "/items", params={"limit": 2, "cursor": paged.json()["next_cursor"]})
    assert following.status_code == 200
    assert len(following.json()["items"]) == 1
