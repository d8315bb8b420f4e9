"""The table and secret the emulator creates in moto are the ones the synthesized dev template defines.

Each is compared with the template itself, read from the assembly as CloudFormation would read it (not
through the emulator's own reader): the table as moto describes it, the secret by its generated value.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.contract import CURSOR_SECRET_MIN_LENGTH
from tests.support.emulated_stage import RunningApi

if TYPE_CHECKING:
    pass

INDEX_FIELDS = ("IndexName", "KeySchema", "Projection")
DEFAULT_PASSWORD_LENGTH = 32
"""``GenerateSecretString``'s ``PasswordLength`` when the template sets none."""
CHARACTER_CLASSES = {
    "ExcludeUppercase": string.ascii_uppercase,
    "ExcludeLowercase": string.ascii_lowercase,
    "ExcludeNumbers": string.digits,
    "ExcludePunctuation": string.punctuation,
}
"""Secrets Manager's character classes, each with the option that leaves it out."""


def _resources(assembly_dir: Path, resource_type: str) -> dict[str, dict[str, Any]]:
    """The ``Properties`` of every resource of ``resource_type`` in the dev stage's templates."""
    found: dict[str, dict[str, Any]] = {}
    for template_file in sorted((assembly_dir / "assembly-dev").glob("*.template.json")):
        for logical_id, resource in json.loads(template_file.read_text())["Resources"].items():
            if resource["Type"] == resource_type:
                found[logical_id] = resource["Properties"]
    return found


def _indexes(definition: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [{field: index[field] for field in INDEX_FIELDS} for index in definition.get(key, [])]


def _sorted_attributes(definitions: list[Any]) -> list[dict[str, str]]:
    return sorted(
        ({"AttributeName": d["AttributeName"], "AttributeType": d["AttributeType"]} for d in definitions),
        key=lambda definition: definition["AttributeName"],
    )


def test_the_local_table_has_the_templates_keys_billing_mode_ttl_and_indexes(
    dev_api: RunningApi, dev_assembly_dir: Path
) -> None:
    (logical_id, template), *others = _resources(dev_assembly_dir, "AWS::DynamoDB::GlobalTable").items()
    assert not others
    (spec,) = (table for table in dev_api.emulator.app.tables if table.logical_id == logical_id)
    dynamodb = dev_api.emulator.aws.dynamodb()

    described = dynamodb.describe_table(TableName=spec.name)["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=spec.name)["TimeToLiveDescription"]

    assert described["KeySchema"] == template["KeySchema"]
    assert _sorted_attributes(described["AttributeDefinitions"]) == _sorted_attributes(
        template["AttributeDefinitions"]
    )
    assert described["BillingModeSummary"]["BillingMode"] == template["BillingMode"]
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        assert _indexes(dict(described), key) == _indexes(template, key), key
    specification = template["TimeToLiveSpecification"]
    assert specification["Enabled"] is True
    assert (ttl.get("TimeToLiveStatus"), ttl.get("AttributeName")) == (
        "ENABLED",
        specification["AttributeName"],
    )


def _included_classes(generate: dict[str, Any]) -> list[str]:
    classes = [chars for option, chars in CHARACTER_CLASSES.items() if not generate.get(option, False)]
    if generate.get("IncludeSpace", False):
        classes.append(" ")
    excluded = set(generate.get("ExcludeCharacters", ""))
    return ["".join(char for char in chars if char not in excluded) for chars in classes]


def test_the_local_secret_is_generated_as_the_templates_generate_secret_string_says(
    dev_api: RunningApi, dev_assembly_dir: Path
) -> None:
    (logical_id, template), *others = _resources(dev_assembly_dir, "AWS::SecretsManager::Secret").items()
    assert not others
    generate = template["GenerateSecretString"]
    assert "SecretStringTemplate" not in generate, "the runtime reads the secret as the key itself"
    (spec,) = (secret for secret in dev_api.emulator.app.secrets if secret.logical_id == logical_id)
    secretsmanager = dev_api.emulator.aws.secretsmanager()

    arn = secretsmanager.describe_secret(SecretId=spec.name)["ARN"]
    value = secretsmanager.get_secret_value(SecretId=arn)["SecretString"]

    (function,) = dev_api.emulator.app.functions()
    assert function.environment["CURSOR_SECRET_NAME"] == arn
    assert len(value) == generate.get("PasswordLength", DEFAULT_PASSWORD_LENGTH)
    classes = _included_classes(generate)
    assert set(value) <= set("".join(classes))
    if generate.get("RequireEachIncludedType", True):
        assert all(set(value) & set(chars) for chars in classes), value
    assert len(value.encode()) >= CURSOR_SECRET_MIN_LENGTH
