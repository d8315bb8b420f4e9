"""An in-process AWS emulator: moto's server on a free loopback port, and the service's resources.

The table is created from :mod:`runtime.contract`, the same names the infrastructure uses, and
``tests/app/test_table_contract.py`` compares it, as moto describes it, with the table every
environment synthesizes (keys, attribute types, billing, TTL, indexes): the runtime tests exercise
the key schema that is deployed, and neither definition can drift from the other.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import ClientError

from runtime.contract import TABLE_PARTITION_KEY, TABLE_SORT_KEY, TABLE_TTL_ATTRIBUTE
from serverless_fastapi_cdk.toolkit.moto_server import LinearizableMotoServer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

REGION = "us-east-1"
FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
"""Credentials that no AWS account accepts: whatever a test does, it cannot reach real AWS."""


def use_fake_aws_credentials() -> None:
    """Replace any AWS credentials or profile of the process with :data:`FAKE_AWS_ENVIRONMENT`."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        os.environ.pop(name, None)
    os.environ.update(FAKE_AWS_ENVIRONMENT)


@dataclass(frozen=True)
class Emulator:
    """A running moto server; ``endpoint_url`` is what ``AWS_ENDPOINT_URL`` should point at."""

    endpoint_url: str

    def dynamodb(self) -> DynamoDBClient:
        return boto3.session.Session().client("dynamodb", endpoint_url=self.endpoint_url, region_name=REGION)

    def secretsmanager(self) -> SecretsManagerClient:
        return boto3.session.Session().client(
            "secretsmanager", endpoint_url=self.endpoint_url, region_name=REGION
        )


@contextmanager
def running_emulator() -> Iterator[Emulator]:
    """Run moto's server on 127.0.0.1 and a port the OS picks, for the duration of the block.

    The server handles one request at a time, so conditional writes are linearizable as in DynamoDB
    (:mod:`serverless_fastapi_cdk.toolkit.moto_server`).
    """
    server = LinearizableMotoServer()
    server.start()
    try:
        yield Emulator(endpoint_url=server.endpoint_url)
    finally:
        server.stop()


ALREADY_THERE = frozenset({"ResourceInUseException", "ResourceExistsException"})
"""Error codes of a CreateTable / CreateSecret whose resource exists already."""


def create_unless_present[**P](create: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> None:
    """Call ``create``, accepting that the resource exists: suites share the session's emulator, and
    the runtime reads its table and secret names once, from whichever suite's environment came first."""
    try:
        create(*args, **kwargs)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ALREADY_THERE:
            raise


def create_items_table(client: DynamoDBClient, table_name: str) -> None:
    """The service's single table: string ``pk``/``sk`` keys, on-demand, TTL on ``expires_at``.

    Kept equal to the synthesized table by ``tests/app/test_table_contract.py``.
    """
    client.create_table(
        TableName=table_name,
        KeySchema=[
            {"AttributeName": TABLE_PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": TABLE_SORT_KEY, "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": TABLE_PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": TABLE_SORT_KEY, "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TABLE_TTL_ATTRIBUTE},
    )


def create_cursor_secret(client: SecretsManagerClient, name: str) -> str:
    """A random cursor-signing key, stored as the secret's SecretString; returns the key."""
    key = secrets.token_urlsafe(48)
    client.create_secret(Name=name, SecretString=key)
    return key
