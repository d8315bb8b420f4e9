"""The AWS services the function talks to, run locally: moto's server mode and an X-Ray sink.

Tables and secrets are created from the synthesized template's definitions (key schema, attribute
definitions, indexes and TTL of the table; the secret's literal value or ``GenerateSecretString``),
never from a second copy. moto keeps its data in memory: it is gone when the emulator stops. moto's
per-request log lines are silenced; the function's own logs show its AWS calls.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from typing import TYPE_CHECKING, Any

import boto3

from serverless_fastapi_cdk.toolkit.local_api.intrinsics import Physical
from serverless_fastapi_cdk.toolkit.local_api.model import SecretSpec, TableSpec
from serverless_fastapi_cdk.toolkit.moto_server import LinearizableMotoServer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_secretsmanager import SecretsManagerClient

_PASSWORD_OPTIONS = (
    "PasswordLength",
    "ExcludeCharacters",
    "ExcludeNumbers",
    "ExcludePunctuation",
    "ExcludeUppercase",
    "ExcludeLowercase",
    "IncludeSpace",
    "RequireEachIncludedType",
)
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection")


class LocalAws:
    """moto on a free loopback port, holding the stage's tables and secrets.

    Linearizable like DynamoDB (:mod:`toolkit.moto_server`); ``stop()`` then ``start()`` brings it back
    on the same port with its data.
    """

    def __init__(self, region: str) -> None:
        self.region = region
        self._server = LinearizableMotoServer()
        self.endpoint_url = ""

    def start(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server.start()
        self.endpoint_url = self._server.endpoint_url

    def stop(self) -> None:
        self._server.stop()

    def dynamodb(self) -> DynamoDBClient:
        """A DynamoDB client of this server."""
        return boto3.client(
            "dynamodb",
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 (moto accepts any credentials)
        )

    def secretsmanager(self) -> SecretsManagerClient:
        """A Secrets Manager client of this server."""
        return boto3.client(
            "secretsmanager",
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 (moto accepts any credentials)
        )

    def create_table(self, spec: TableSpec) -> Physical:
        """Create ``spec`` on demand (PAY_PER_REQUEST) unless a table of that name exists already."""
        dynamodb = self.dynamodb()
        if spec.name not in dynamodb.list_tables()["TableNames"]:
            arguments: dict[str, Any] = {
                "TableName": spec.name,
                "KeySchema": spec.key_schema,
                "AttributeDefinitions": spec.attribute_definitions,
                "BillingMode": "PAY_PER_REQUEST",
            }
            for key, indexes in (
                ("GlobalSecondaryIndexes", spec.global_secondary_indexes),
                ("LocalSecondaryIndexes", spec.local_secondary_indexes),
            ):
                if indexes:
                    arguments[key] = [{name: index[name] for name in _INDEX_KEYS} for index in indexes]
            dynamodb.create_table(**arguments)
            if spec.ttl_attribute:
                dynamodb.update_time_to_live(
                    TableName=spec.name,
                    TimeToLiveSpecification={"AttributeName": spec.ttl_attribute, "Enabled": True},
                )
        table = dynamodb.describe_table(TableName=spec.name)["Table"]
        return Physical(spec.name, {"Arn": table["TableArn"]})

    def delete_table(self, name: str) -> None:
        """Delete the table ``name`` and its items."""
        self.dynamodb().delete_table(TableName=name)

    def create_secret(self, spec: SecretSpec) -> Physical:
        """Create ``spec``, generating its value as Secrets Manager would, unless it exists already."""
        secretsmanager = self.secretsmanager()
        try:
            arn = secretsmanager.describe_secret(SecretId=spec.name)["ARN"]
        except secretsmanager.exceptions.ResourceNotFoundException:
            arn = secretsmanager.create_secret(Name=spec.name, SecretString=self._secret_value(spec))["ARN"]
        return Physical(arn, {"Id": arn})

    def _secret_value(self, spec: SecretSpec) -> str:
        if spec.generate is None:
            return spec.secret_string or ""
        options = {name: spec.generate[name] for name in _PASSWORD_OPTIONS if name in spec.generate}
        password: str = self.secretsmanager().get_random_password(**options)["RandomPassword"]
        template = spec.generate.get("SecretStringTemplate")
        key = spec.generate.get("GenerateStringKey")
        if template is None or key is None:
            return password
        document = json.loads(template)
        document[key] = password
        return json.dumps(document)


class XRaySink:
    """A UDP port standing in for the X-Ray daemon: traced functions send segments here, which drops them."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.5)
        host, port = self._socket.getsockname()
        self.address = f"{host}:{port}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._drain, name="xray-sink", daemon=True)

    def _drain(self) -> None:
        while not self._stopping.is_set():
            try:
                self._socket.recv(65536)
            except TimeoutError:
                continue

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self._socket.close()
