"""The local DynamoDB is linearizable like the real one, so the concurrency figures mean something.

moto's own threaded server lets racing conditional writes both succeed now and then
(``python -m tests.tools.moto_server.moto_race`` shows it); the toolkit's
:class:`~toolkit.moto_server.LinearizableMotoServer`, which every local run and test uses, must never.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from serverless_fastapi_cdk.toolkit.moto_server import LinearizableMotoServer
from tests.support.aws_emulator import REGION
from tests.tools.moto_server.moto_race import race


@pytest.fixture
def server() -> Iterator[LinearizableMotoServer]:
    running = LinearizableMotoServer()
    running.start()
    yield running
    running.stop()


def test_of_fifty_racing_conditional_writes_exactly_one_succeeds_every_round(
    server: LinearizableMotoServer,
) -> None:
    rounds = race(server.endpoint_url, rounds=5, writers=50)

    assert [(outcome.winners, outcome.final_version) for outcome in rounds] == [(1, 2)] * 5


def test_a_stopped_server_refuses_connections_and_comes_back_on_its_port_with_its_data(
    server: LinearizableMotoServer,
) -> None:
    endpoint = server.endpoint_url
    client = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name=REGION, config=Config(retries={"max_attempts": 1})
    )
    client.create_table(
        TableName="kept",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(TableName="kept", Item={"pk": {"S": "before the outage"}})

    server.stop()
    with pytest.raises(EndpointConnectionError):
        client.list_tables()
    server.start()

    assert server.endpoint_url == endpoint
    assert client.get_item(TableName="kept", Key={"pk": {"S": "before the outage"}})["Item"]
