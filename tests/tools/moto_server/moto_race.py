"""Racing conditional writes against a moto server: how many of N writers from one version succeed.

``python -m tests.tools.moto_server.moto_race`` prints the figure for moto's own ``ThreadedMotoServer`` and
for :class:`toolkit.moto_server.LinearizableMotoServer` (docs/reliability.md quotes it). The thread
switch interval is shortened while racing so that interleavings that DynamoDB forbids, if the server
allows them, show up within a few rounds instead of a few thousand.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from serverless_fastapi_cdk.toolkit.moto_server import LinearizableMotoServer
from tests.support.aws_emulator import REGION, use_fake_aws_credentials

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

TABLE = "race"


@dataclass(frozen=True)
class Round:
    winners: int
    """Writers whose conditional update succeeded; DynamoDB allows exactly one."""
    final_version: int
    """The version after the round; exactly one update makes it 2."""


@contextmanager
def short_switch_interval(seconds: float = 1e-6) -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def race(endpoint_url: str, *, rounds: int, writers: int) -> list[Round]:
    """Each round: reset an item to version 1, then ``writers`` threads update it "if version is 1"."""
    sessions = [boto3.session.Session() for _ in range(writers + 1)]
    clients = [
        session.client("dynamodb", endpoint_url=endpoint_url, region_name=REGION) for session in sessions
    ]
    admin = clients.pop()
    if TABLE not in admin.list_tables()["TableNames"]:
        admin.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    return [_race_once(admin, clients) for _ in range(rounds)]


def _race_once(admin: DynamoDBClient, clients: list[DynamoDBClient]) -> Round:
    admin.put_item(TableName=TABLE, Item={"pk": {"S": "item"}, "version": {"N": "1"}})
    start = threading.Barrier(len(clients))
    winners: list[int] = []

    def write(number: int) -> None:
        start.wait()
        try:
            clients[number].update_item(
                TableName=TABLE,
                Key={"pk": {"S": "item"}},
                UpdateExpression="SET #version = #version + :one, writer = :writer",
                ConditionExpression="#version = :expected",
                ExpressionAttributeNames={"#version": "version"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":expected": {"N": "1"},
                    ":writer": {"N": str(number)},
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        else:
            winners.append(number)

    threads = [threading.Thread(target=write, args=(number,)) for number in range(len(clients))]
    with short_switch_interval():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    stored = admin.get_item(TableName=TABLE, Key={"pk": {"S": "item"}}, ConsistentRead=True)["Item"]
    return Round(winners=len(winners), final_version=int(stored["version"]["N"]))


def _summary(name: str, rounds: list[Round]) -> str:
    broken = [outcome for outcome in rounds if (outcome.winners, outcome.final_version) != (1, 2)]
    most = max(outcome.winners for outcome in rounds)
    return (
        f"{name}: {len(broken)} of {len(rounds)} rounds broke linearizability "
        f"(most winners in one round: {most})"
    )


def main() -> None:
    use_fake_aws_credentials()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    rounds, writers = 20, 50
    threaded = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    threaded.start()
    host, port = threaded.get_host_and_port()
    try:
        print(_summary("ThreadedMotoServer", race(f"http://{host}:{port}", rounds=rounds, writers=writers)))
    finally:
        threaded.stop()
    linearizable = LinearizableMotoServer()
    linearizable.start()
    try:
        print(
            _summary(
                "LinearizableMotoServer", race(linearizable.endpoint_url, rounds=rounds, writers=writers)
            )
        )
    finally:
        linearizable.stop()


if __name__ == "__main__":
    main()
