"""Which DynamoDB operations the service issues: keyed reads, Queries and conditional writes, never a Scan."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from runtime import aws
from tests.support.apigw import LambdaApi


@contextmanager
def recorded_operations() -> Iterator[list[str]]:
    """The name of every operation the runtime's DynamoDB client calls during the block."""
    client = aws.dynamodb()
    operations: list[str] = []

    def record(model: Any, **_: Any) -> None:
        operations.append(model.name)

    unique_id = f"{__name__}.{id(operations)}"
    client.meta.events.register("before-call.dynamodb", record, unique_id=unique_id)
    try:
        yield operations
    finally:
        client.meta.events.unregister("before-call.dynamodb", unique_id=unique_id)


def test_a_full_crud_and_listing_flow_issues_no_scan(alice: LambdaApi) -> None:
    with recorded_operations() as operations:
        created = [alice.post("/items", body={"name": f"item {index}"}) for index in range(3)]
        for _ in range(2):
            alice.post("/items", body={"name": "once"}, headers={"idempotency-key": "no-scan"})
        first_page = alice.get("/items", query={"limit": "2"}).json()
        second_page = alice.get("/items", query={"limit": "2", "cursor": first_page["next_cursor"]}).json()
        path = created[0].headers["location"]
        alice.get(path)
        alice.put(path, body={"name": "renamed"}, headers={"if-match": '"1"'})
        alice.delete(path, headers={"if-match": '"2"'})
        alice.delete(created[1].headers["location"])

    assert len(first_page["items"]) + len(second_page["items"]) == 4
    assert second_page["next_cursor"] is None
    assert "Scan" not in operations
    assert set(operations) == {"PutItem", "GetItem", "Query", "UpdateItem", "DeleteItem"}
