"""The DynamoDB operations the runtime really performs are exactly ``cdk_app.service.TABLE_OPERATIONS``.

That one list is both the function's IAM actions and the ``Operation`` dimensions whose
``ThrottledRequests`` the throttling alarm sums. The runtime is driven through its real Lambda handler
with payload 2.0 events against the emulator, along every route that reaches the table (an idempotent
create and its replay, a read, a listing across two pages, an update, a delete); each call its DynamoDB
client makes, its own and those of Powertools' idempotency persistence, is recorded with botocore's
``before-call`` event. An operation the runtime starts calling (a batch, a scan) fails here until the
list names it, and so the grant and the alarm; one it stops calling must leave the list.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from types import ModuleType

import pytest

from cdk_app.service import TABLE_OPERATIONS
from tests.support.apigw import LambdaApi
from tests.support.aws_calls import recorded_operations
from tests.support.aws_emulator import (
    Emulator,
    create_cursor_secret,
    create_items_table,
    create_unless_present,
)


@pytest.fixture
def table_operations(runtime_handler: ModuleType, runtime_backend: Emulator) -> Iterator[list[str]]:
    """The name of every DynamoDB operation the runtime's client calls while the test runs."""
    from runtime import aws
    from runtime.settings import get_settings

    settings = get_settings()
    create_unless_present(create_items_table, runtime_backend.dynamodb(), settings.table_name)
    create_unless_present(create_cursor_secret, runtime_backend.secretsmanager(), settings.cursor_secret_name)
    with recorded_operations(aws.dynamodb()) as operations:
        yield operations


def test_every_table_route_uses_exactly_the_listed_operations(
    runtime_handler: ModuleType, table_operations: list[str]
):
    user = LambdaApi(runtime_handler.handler).as_user(f"operations-{uuid.uuid4()}")
    create = {"body": {"name": "lamp", "price": 3}, "headers": {"idempotency-key": "order-1"}}

    created = user.post("/items", **create)
    replayed = user.post("/items", **create)
    second = user.post("/items", body={"name": "desk"})
    assert (created.status, replayed.status, second.status) == (201, 201, 201)
    assert replayed.headers["idempotent-replayed"] == "true"

    location = created.headers["location"]
    assert user.get(location).status == 200
    first_page = user.get("/items", query={"limit": "1"}).json()
    assert first_page["next_cursor"]
    assert user.get("/items", query={"limit": "1", "cursor": first_page["next_cursor"]}).status == 200
    updated = user.put(location, body={"name": "lamp 2"}, headers={"if-match": created.headers["etag"]})
    assert updated.status == 200
    assert user.delete(location, headers={"if-match": updated.headers["etag"]}).status == 204

    assert sorted(set(table_operations)) == sorted(TABLE_OPERATIONS)
