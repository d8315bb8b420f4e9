"""Idempotent creation: retries with the same Idempotency-Key create one item."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest

from runtime import aws
from runtime.contract import TABLE_PARTITION_KEY, TABLE_SORT_KEY, TABLE_TTL_ATTRIBUTE
from tests.runtime.conftest import TABLE_NAME
from tests.support.apigw import HttpResponse, LambdaApi
from tests.support.aws_emulator import Emulator
from tests.support.faults import aws_error

DOCUMENTED_TTL_SECONDS = 24 * 60 * 60
"""How long idempotency records live, as docs/service.md states it."""


def items_of(user: LambdaApi) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = user.get("/items").json()["items"]
    return items


def test_a_retry_replays_the_first_response_and_creates_nothing(alice: LambdaApi) -> None:
    request = {"body": {"name": "once", "price": 2}, "headers": {"idempotency-key": "order-7f3a"}}

    first = alice.post("/items", **request)
    retry = alice.post("/items", **request)

    assert (first.status, retry.status) == (201, 201)
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["etag"] == first.headers["etag"]
    assert (first.headers["idempotent-replayed"], retry.headers["idempotent-replayed"]) == ("false", "true")
    assert [item["id"] for item in items_of(alice)] == [first.json()["id"]]


def test_a_retry_after_an_update_still_replays_the_original_response(alice: LambdaApi) -> None:
    request = {"body": {"name": "v1"}, "headers": {"idempotency-key": "k-1"}}
    first = alice.post("/items", **request)
    alice.put(first.headers["location"], body={"name": "v2"}, headers={"if-match": '"1"'})

    retry = alice.post("/items", **request)

    assert retry.json() == first.json()
    assert len(items_of(alice)) == 1


def test_the_fingerprint_is_the_validated_body_not_its_spelling(alice: LambdaApi) -> None:
    headers = {"idempotency-key": "k-2"}
    first = alice.post("/items", body={"name": "x", "price": 5}, headers=headers)

    retry = alice.post("/items", body={"tags": [], "price": "5.00", "name": "x"}, headers=headers)

    assert retry.status == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()


def test_the_same_key_with_another_body_is_422_with_its_own_code(alice: LambdaApi) -> None:
    headers = {"idempotency-key": "k-3"}
    first = alice.post("/items", body={"name": "first"}, headers=headers)

    reused = alice.post("/items", body={"name": "second"}, headers=headers)

    assert reused.status == 422
    assert reused.error_code == "idempotency_key_reused"
    assert [item["id"] for item in items_of(alice)] == [first.json()["id"]]


def test_different_keys_create_different_items(alice: LambdaApi) -> None:
    for key in ("k-a", "k-b"):
        alice.post("/items", body={"name": "same"}, headers={"idempotency-key": key})

    assert len(items_of(alice)) == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 129, "caf\u00e9"])
def test_a_malformed_key_is_422(alice: LambdaApi, key: str) -> None:
    response = alice.post("/items", body={"name": "x"}, headers={"idempotency-key": key})

    assert response.status == 422
    assert response.json()["error"]["fields"][0]["field"] == "header.Idempotency-Key"
    assert items_of(alice) == []


def test_records_live_in_the_callers_partition_and_expire_through_ttl_after_24_hours(
    alice: LambdaApi, aws_emulator: Emulator
) -> None:
    before = int(time.time())
    alice.post("/items", body={"name": "x"}, headers={"idempotency-key": "k-4"})
    after = int(time.time())

    records = aws_emulator.dynamodb().query(
        TableName=TABLE_NAME,
        KeyConditionExpression="#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames={"#pk": TABLE_PARTITION_KEY, "#sk": TABLE_SORT_KEY},
        ExpressionAttributeValues={":pk": {"S": f"USER#{alice.sub}"}, ":prefix": {"S": "IDEMPOTENCY#"}},
    )["Items"]

    [record] = records
    assert record["status"]["S"] == "COMPLETED"
    expires_at = int(record[TABLE_TTL_ATTRIBUTE]["N"])
    assert before + DOCUMENTED_TTL_SECONDS <= expires_at <= after + DOCUMENTED_TTL_SECONDS
    assert json.loads(record["data"]["S"])["item"]["name"] == "x"


def test_a_retry_while_the_first_request_runs_is_409(alice: LambdaApi) -> None:
    """The retry arrives while the first request is between claiming the key and storing the item."""
    request = {"body": {"name": "slow"}, "headers": {"idempotency-key": "k-5"}}
    retries: list[HttpResponse] = []

    def retry_in_flight(params: dict[str, Any], **_: Any) -> None:
        if params["Item"][TABLE_SORT_KEY]["S"].startswith("ITEM#") and not retries:
            retries.append(_concurrently(lambda: alice.post("/items", **request)))

    client = aws.dynamodb()
    client.meta.events.register(
        "provide-client-params.dynamodb.PutItem", retry_in_flight, unique_id="in-flight"
    )
    try:
        first = alice.post("/items", **request)
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.PutItem", unique_id="in-flight")

    [retry] = retries
    assert first.status == 201
    assert retry.status == 409
    assert retry.error_code == "idempotency_in_progress"
    assert retry.headers["retry-after"] == "1"
    assert len(items_of(alice)) == 1


def test_a_throttled_store_is_503_and_leaves_the_key_free(alice: LambdaApi) -> None:
    request = {"body": {"name": "x"}, "headers": {"idempotency-key": "k-6"}}
    with aws_error(aws.dynamodb(), "PutItem", code="ProvisionedThroughputExceededException", times=1):
        throttled = alice.post("/items", **request)

    assert throttled.status == 503
    assert throttled.headers["retry-after"] == "1"
    assert items_of(alice) == []
    retried = alice.post("/items", **request)
    assert retried.status == 201
    assert retried.headers["idempotent-replayed"] == "false"


def test_a_failed_creation_releases_the_key(alice: LambdaApi) -> None:
    """Powertools deletes the in-progress record when the creation itself fails."""
    request = {"body": {"name": "x"}, "headers": {"idempotency-key": "k-7"}}
    with aws_error(
        aws.dynamodb(),
        "PutItem",
        code="ProvisionedThroughputExceededException",
        when=lambda sent: isinstance(sent.body, bytes) and b'"ITEM#' in sent.body,
    ):
        failed = alice.post("/items", **request)

    assert failed.status == 503
    assert alice.post("/items", **request).headers["idempotent-replayed"] == "false"
    assert len(items_of(alice)) == 1


def _concurrently(send: Any) -> HttpResponse:
    """Run a request on its own thread and event loop, as a second Lambda instance would, and wait."""
    results: list[HttpResponse] = []

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        results.append(send())

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=10)
    return results[0]
