"""The logical ids of every stateful resource in every environment are pinned.

CloudFormation identifies a resource by its logical id: a new id (a renamed construct, a construct moved
to another parent or stack) creates a new, empty table, user pool or secret and deletes or orphans the
old one. If a change here is deliberate, plan the data migration first, then update the pin.
"""

from __future__ import annotations

from pathlib import Path

from serverless_fastapi_cdk.toolkit.stack_diff.assembly import load_assembly
from serverless_fastapi_cdk.toolkit.stack_diff.stateful import is_stateful
from tests.support.cdk_synthesis import ENVIRONMENTS

PINNED_STATEFUL_IDS = {
    "Stateful": {
        ("AWS::DynamoDB::GlobalTable", "ItemsTableE2D1F4C3"),
        ("AWS::Cognito::UserPool", "IdentityUserPool96FE3B9B"),
        ("AWS::Cognito::UserPoolClient", "IdentityUserPoolApiClient11B43C55"),
        ("AWS::Cognito::UserPoolClient", "IdentityUserPoolMachineClientA0BD2542"),
        ("AWS::SecretsManager::Secret", "CursorSigningSecret1E2B9DED"),
    },
    # Log events, the alarm topic's subscriptions and the key that encrypts it.
    "Stateless": {
        ("AWS::Logs::LogGroup", "ApiLogGroup1717FE17"),
        ("AWS::Logs::LogGroup", "HttpAccessLogs1CB64BE3"),
        ("AWS::Logs::LogGroup", "CanaryPreTrafficHookLogs13C1EC6F"),
        ("AWS::Logs::LogGroup", "CanaryPostTrafficHookLogs8A8E0144"),
        ("AWS::SNS::Topic", "MonitoringAlarmTopicAF62D4F1"),
        ("AWS::KMS::Key", "MonitoringAlarmTopicKeyFFA45DC9"),
    },
}
"""The same in every environment: each stage builds the same construct tree."""


def stateful_resources(assembly: Path) -> dict[str, set[tuple[str, str]]]:
    """``{stack name: {(resource type, logical id)}}`` for every stack holding stateful resources."""
    found: dict[str, set[tuple[str, str]]] = {}
    for name, stack in load_assembly(assembly).items():
        for logical_id, resource in stack.template["Resources"].items():
            if is_stateful(resource["Type"]):
                found.setdefault(name, set()).add((resource["Type"], logical_id))
    return found


def test_every_stateful_resource_keeps_its_logical_id(baseline_assembly: Path) -> None:
    expected = {
        f"{environment}/{kind}": pinned
        for environment in ENVIRONMENTS
        for kind, pinned in PINNED_STATEFUL_IDS.items()
    }

    assert stateful_resources(baseline_assembly) == expected
