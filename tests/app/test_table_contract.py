"""The runtime tests' table is the deployed one: what the emulator creates matches the synthesized table.

``tests.support.aws_emulator.create_items_table`` builds the table every runtime test runs against.
The CDK table (``ServiceTable`` in the stateful stack) is built from the same names in
:mod:`runtime.contract`, but types, key roles, billing and TTL are spelled out on each side; this
test compares the two as AWS would see them (``DescribeTable`` on moto against the template of each
environment), so neither side can change alone.
"""

from __future__ import annotations

from typing import Any

from tests.support.aws_emulator import Emulator, create_items_table
from tests.support.cdk_synthesis import SynthesizedApp, logical_id

INDEX_FIELDS = ("IndexName", "KeySchema", "Projection")


def _by_name(definitions: list[Any]) -> list[dict[str, str]]:
    return sorted(
        ({"AttributeName": d["AttributeName"], "AttributeType": d["AttributeType"]} for d in definitions),
        key=lambda definition: definition["AttributeName"],
    )


def _indexes(definition: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [{field: index[field] for field in INDEX_FIELDS} for index in definition.get(key, [])]


def test_the_test_table_has_the_synthesized_keys_attribute_types_billing_ttl_and_indexes(
    synthesized_app: SynthesizedApp, environment: str, aws_emulator: Emulator
) -> None:
    stateful = synthesized_app.stages[environment].stateful
    table = synthesized_app.template_json(environment, "Stateful")["Resources"][logical_id(stateful.table)]
    assert table["Type"] == "AWS::DynamoDB::GlobalTable"
    template = table["Properties"]
    name = f"table-contract-{environment}"
    client = aws_emulator.dynamodb()

    create_items_table(client, name)
    described: dict[str, Any] = dict(client.describe_table(TableName=name)["Table"])
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]

    assert described["KeySchema"] == template["KeySchema"]
    assert _by_name(described["AttributeDefinitions"]) == _by_name(template["AttributeDefinitions"])
    assert described["BillingModeSummary"]["BillingMode"] == template["BillingMode"]
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        assert _indexes(described, key) == _indexes(template, key), key
    assert template["TimeToLiveSpecification"]["Enabled"] is True
    assert (ttl.get("TimeToLiveStatus"), ttl.get("AttributeName")) == (
        "ENABLED",
        template["TimeToLiveSpecification"]["AttributeName"],
    )
