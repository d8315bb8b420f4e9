"""Which DynamoDB operations the service issues: keyed reads, Queries and conditional writes, never a Scan."""

from __future__ import annotations

from runtime import aws
from tests.support.apigw import LambdaApi
from tests.support.aws_calls import recorded_operations


def test_a_full_crud_and_listing_flow_issues_no_scan(alice: LambdaApi) -> None:
    with recorded_operations(aws.dynamodb()) as operations:
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
