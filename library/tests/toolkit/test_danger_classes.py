"""The danger section names every stateful resource replaced, deleted or orphaned, for types the old hand
list lacked too: replacements come from ``@aws-cdk/cloudformation-diff`` (really run, on the pinned Node),
the project's own rules add what the resource specification misses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from serverless_fastapi_cdk.toolkit.stack_diff.analysis import build_report
from serverless_fastapi_cdk.toolkit.stack_diff.assembly import StackTemplate, Template
from serverless_fastapi_cdk.toolkit.stack_diff.compare import diff_templates
from serverless_fastapi_cdk.toolkit.stack_diff.engine import stack_impacts
from serverless_fastapi_cdk.toolkit.stack_diff.markdown import render_markdown
from serverless_fastapi_cdk.toolkit.stack_diff.stateful import (
    STATEFUL_TYPES,
    Danger,
    DangerKind,
    find_dangers,
)


def resource(resource_type: str, policy: str | None = None, **properties: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"Type": resource_type, "Properties": properties}
    if policy is not None:
        found |= {"DeletionPolicy": policy, "UpdateReplacePolicy": policy}
    return found


def dangers(old: dict[str, Any], new: dict[str, Any]) -> list[Danger]:
    return find_dangers([diff_templates("dev/Stateless", "dev", {"Resources": old}, {"Resources": new})])


REPLACEMENTS = [
    (
        "AWS::Logs::LogGroup",
        {"LogGroupName": "/items/audit"},
        {"LogGroupName": "/items/audit-v2"},
        "LogGroupName",
    ),
    ("AWS::ECR::Repository", {"RepositoryName": "api"}, {"RepositoryName": "api-v2"}, "RepositoryName"),
    ("AWS::SNS::Topic", {"TopicName": "alarms"}, {"TopicName": "alarms", "FifoTopic": True}, "FifoTopic"),
    ("AWS::SQS::Queue", {"QueueName": "jobs"}, {"QueueName": "jobs-v2"}, "QueueName"),
    ("AWS::S3::Bucket", {"BucketName": "reports"}, {"BucketName": "reports-v2"}, "BucketName"),
    ("AWS::SecretsManager::Secret", {"Name": "a"}, {"Name": "b"}, "Name"),
    ("AWS::DynamoDB::GlobalTable", {"TableName": "a"}, {"TableName": "b"}, "TableName"),
    ("AWS::Cognito::UserPoolClient", {"GenerateSecret": False}, {"GenerateSecret": True}, "GenerateSecret"),
]


@pytest.mark.parametrize(("resource_type", "before", "after", "prop"), REPLACEMENTS)
def test_the_engine_names_the_replacing_property_of_each_stateful_type(
    resource_type: str, before: dict[str, Any], after: dict[str, Any], prop: str
) -> None:
    (danger,) = dangers(
        {"Thing": resource(resource_type, "Retain", **before)},
        {"Thing": resource(resource_type, "Retain", **after)},
    )

    assert danger.kind is DangerKind.REPLACEMENT
    assert f"{STATEFUL_TYPES[resource_type].label} is REPLACED" in danger.detail
    assert f"{prop} cannot change in place" in danger.detail
    assert "kept but orphaned from the stack (Retain)" in danger.detail


def test_an_in_place_change_of_a_stateful_type_is_no_danger() -> None:
    assert (
        dangers(
            {"Logs": resource("AWS::Logs::LogGroup", RetentionInDays=30)},
            {"Logs": resource("AWS::Logs::LogGroup", RetentionInDays=90)},
        )
        == []
    )


@pytest.mark.parametrize(
    ("resource_type", "before", "after", "prop"),
    [
        (
            "AWS::Cognito::UserPool",
            {"UsernameAttributes": ["email"]},
            {"UsernameAttributes": ["phone_number"]},
            "UsernameAttributes",
        ),
        (
            "AWS::DynamoDB::Table",
            {"LocalSecondaryIndexes": [{"IndexName": "a"}]},
            {"LocalSecondaryIndexes": [{"IndexName": "b"}]},
            "LocalSecondaryIndexes",
        ),
    ],
)
def test_the_projects_rules_add_what_the_specification_misses(
    resource_type: str, before: dict[str, Any], after: dict[str, Any], prop: str
) -> None:
    old, new = {"Thing": resource(resource_type, **before)}, {"Thing": resource(resource_type, **after)}
    (impact,) = stack_impacts([diff_templates("s", "dev", {"Resources": old}, {"Resources": new})])[
        "s"
    ].resources.values()
    assert impact.impact == "WILL_UPDATE"  # the specification's view

    (danger,) = dangers(old, new)

    assert danger.kind is DangerKind.REPLACEMENT
    assert f"{prop} cannot change in place" in danger.detail
    assert f"see {STATEFUL_TYPES[resource_type].reference}" in danger.detail
    assert "DELETED with its data" in danger.detail


@pytest.mark.parametrize(
    ("resource_type", "policy", "fate"),
    [
        ("AWS::Logs::LogGroup", None, "DELETED with its data"),
        ("AWS::KMS::Key", "Retain", "kept but orphaned from the stack (Retain)"),
        ("AWS::SNS::Topic", None, "DELETED with its data"),
        ("AWS::S3::Bucket", "Retain", "kept but orphaned from the stack (Retain)"),
    ],
)
def test_a_removed_stateful_resource_is_deleted_or_orphaned(
    resource_type: str, policy: str | None, fate: str
) -> None:
    (danger,) = dangers({"Thing": resource(resource_type, policy)}, {})

    assert danger.kind is DangerKind.DELETION
    assert danger.detail == f"{STATEFUL_TYPES[resource_type].label} is removed: {fate}"


def test_a_retained_resource_of_any_type_orphaned_by_a_removal_is_a_danger() -> None:
    (danger,) = dangers({"Layer": resource("AWS::Lambda::LayerVersion", "Retain", Content={})}, {})

    assert danger.kind is DangerKind.ORPHANED
    assert "kept (Retain): it lives on, unmanaged" in danger.detail


def test_a_removed_resource_that_is_not_retained_nor_stateful_is_no_danger() -> None:
    assert dangers({"Fn": resource("AWS::Lambda::Function", Handler="a.b")}, {}) == []


def test_a_broadened_permission_outside_iam_policies_is_reported(tmp_path: Path) -> None:
    topic = {"Ref": "Topic"}
    old: Template = {"Resources": {"Topic": resource("AWS::SNS::Topic")}}
    new: Template = {
        "Resources": {
            "Topic": resource("AWS::SNS::Topic"),
            "Policy": resource(
                "AWS::SNS::TopicPolicy",
                Topics=[topic],
                PolicyDocument={
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": "sns:Publish",
                            "Resource": topic,
                        }
                    ],
                },
            ),
        }
    }

    report = build_report(
        base="a",
        head="b",
        old={"dev/S": _stack(old, tmp_path / "o.json")},
        new={"dev/S": _stack(new, tmp_path / "n.json")},
    )

    assert report.permissions_broadened == ("dev/S",)
    assert "⚠️ **Permissions broaden** (IAM or security groups, as `cdk diff` judges them) in: dev/S;" in (
        render_markdown(report)
    )


def _stack(template: Template, path: Path) -> StackTemplate:
    return StackTemplate(
        artifact_id="devS",
        stack_name="dev-S",
        display_name="dev/S",
        stage="dev",
        template=template,
        template_path=path,
    )
