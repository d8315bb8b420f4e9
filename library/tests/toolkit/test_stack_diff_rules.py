"""The diff rules on small hand-written templates: one behaviour per test, every branch of the rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from serverless_fastapi_cdk.toolkit.stack_diff.analysis import build_report
from serverless_fastapi_cdk.toolkit.stack_diff.assembly import StackTemplate, Template
from serverless_fastapi_cdk.toolkit.stack_diff.compare import ChangeKind, diff_templates
from serverless_fastapi_cdk.toolkit.stack_diff.markdown import render_markdown, render_text
from serverless_fastapi_cdk.toolkit.stack_diff.security import SecurityCategory, find_security_changes
from serverless_fastapi_cdk.toolkit.stack_diff.stateful import DangerKind, find_dangers

TABLE = "AWS::DynamoDB::GlobalTable"


def template(**resources: dict[str, Any]) -> Template:
    return {"Resources": resources}


def table(
    key: str = "pk", *, policy: str = "Retain", path: str = "dev/Stateful/Items/Table/Resource"
) -> dict[str, Any]:
    return {
        "Type": TABLE,
        "DeletionPolicy": policy,
        "UpdateReplacePolicy": policy,
        "Metadata": {"aws:cdk:path": path},
        "Properties": {
            "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "DeletionProtectionEnabled": True,
        },
    }


def loaded(templates: dict[str, Template]) -> dict[str, StackTemplate]:
    """Templates by stack name as ``load_assembly`` returns them (the stage is the name's first part)."""
    return {
        name: StackTemplate(
            artifact_id=name,
            stack_name=name.replace("/", "-"),
            display_name=name,
            stage=name.split("/")[0],
            template=body,
            template_path=Path(f"{name}.template.json"),
        )
        for name, body in templates.items()
    }


def dangers(old: Template | None, new: Template | None, name: str = "dev/Stateful") -> list[Any]:
    return find_dangers([diff_templates(name, "dev", old, new)])


def test_property_paths_cover_nested_values_and_list_growth() -> None:
    old = template(Fn={"Type": "AWS::Lambda::Function", "Properties": {"Layers": ["a"], "Env": {"X": "1"}}})
    new = template(
        Fn={"Type": "AWS::Lambda::Function", "Properties": {"Layers": ["a", "b"], "Env": {"X": "2"}}}
    )

    (change,) = diff_templates("s", "dev", old, new).resources
    assert change.kind is ChangeKind.CHANGED
    assert [(prop.path, repr(prop.old), prop.new) for prop in change.changes] == [
        ("Properties.Env.X", "'1'", "2"),
        ("Properties.Layers[1]", "(absent)", "b"),
    ]


def test_cdk_metadata_resources_are_ignored() -> None:
    old = template(CDKMetadata={"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v1"}})
    new = template(CDKMetadata={"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2"}})

    assert not diff_templates("s", "dev", old, new).has_changes


def test_a_key_change_replaces_the_table_but_billing_does_not() -> None:
    billing = table()
    billing["Properties"]["BillingMode"] = "PROVISIONED"

    assert dangers(template(T=table()), template(T=billing)) == []
    (danger,) = dangers(template(T=table()), template(T=table("id")))
    assert danger.kind is DangerKind.REPLACEMENT
    assert "kept but orphaned from the stack (Retain)" in danger.detail


def test_a_renamed_secret_is_replaced() -> None:
    secret = {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "a"}}
    renamed = {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "b"}}

    (danger,) = dangers(template(S=secret), template(S=renamed))
    assert danger.kind is DangerKind.REPLACEMENT
    assert "DELETED with its data" in danger.detail


def test_a_new_logical_id_is_a_danger_not_an_addition() -> None:
    (danger,) = dangers(
        template(ItemsTableOld=table(policy="Delete")), template(ItemsTableNew=table(policy="Delete"))
    )

    assert danger.kind is DangerKind.LOGICAL_ID_CHANGE
    assert danger.logical_id == "ItemsTableOld"
    assert "ItemsTableOld -> ItemsTableNew" in danger.detail


def test_a_table_moved_to_another_stack_is_paired_across_stacks() -> None:
    moved = table(path="dev/Stateless/Items/Table/Resource")
    diffs = [
        diff_templates("dev/Stateful", "dev", template(T=table()), template()),
        diff_templates("dev/Stateless", "dev", template(), template(T2=moved)),
    ]

    (danger,) = find_dangers(diffs)
    assert danger.kind is DangerKind.LOGICAL_ID_CHANGE
    assert "T2 in dev/Stateless" in danger.detail


def test_a_removed_stack_deletes_its_stateful_resources() -> None:
    pool = {"Type": "AWS::Cognito::UserPool", "Properties": {}}

    (danger,) = dangers(template(Pool=pool), None)
    assert danger.kind is DangerKind.DELETION


def test_weakened_protection_is_a_danger() -> None:
    weaker = table(policy="Delete")
    weaker["Properties"]["DeletionProtectionEnabled"] = False

    (danger,) = dangers(template(T=table()), template(T=weaker))
    assert danger.kind is DangerKind.PROTECTION_WEAKENED
    assert "DeletionPolicy Retain -> Delete" in danger.detail
    assert "DeletionProtectionEnabled True -> False" in danger.detail


def test_iam_statements_are_compared_one_by_one() -> None:
    statement = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": {"Fn::GetAtt": ["T", "Arn"]}}
    added = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}
    old = template(
        P={"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [statement]}}}
    )
    new = template(P={"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [added]}}})

    found = find_security_changes(diff_templates("s", "dev", old, new))
    assert [(item.category, item.summary) for item in found] == [
        (SecurityCategory.IAM, "Properties.PolicyDocument: + Allow s3:GetObject on *"),
        (SecurityCategory.IAM, "Properties.PolicyDocument: - Allow dynamodb:GetItem on T.Arn"),
    ]


def test_public_exposure_is_reported_first() -> None:
    new = template(
        Route={
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {"RouteKey": "GET /x", "AuthorizationType": "NONE"},
        },
        Perm={
            "Type": "AWS::Lambda::Permission",
            "Properties": {"Action": "lambda:InvokeFunction", "Principal": "*", "FunctionName": "fn"},
        },
        Bucket={
            "Type": "AWS::SecretsManager::ResourcePolicy",
            "Properties": {"ResourcePolicy": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}}]}},
        },
        Pool={"Type": "AWS::Cognito::UserPool", "Properties": {}},
    )

    found = find_security_changes(diff_templates("s", "dev", template(), new))
    public = [item.summary for item in found if item.category is SecurityCategory.PUBLIC]
    assert found[0].category is SecurityCategory.PUBLIC
    assert "route GET /x is reachable without authorization" in public
    assert "Lambda permission lets ANY principal call fn" in public
    assert "user pool allows self sign-up" in public
    assert any("(ANY principal)" in summary for summary in public)


def test_a_route_losing_its_authorizer_is_reported() -> None:
    old = template(
        R={
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {"RouteKey": "GET /x", "AuthorizationType": "JWT"},
        }
    )
    new = template(
        R={
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {"RouteKey": "GET /x", "AuthorizationType": "NONE"},
        }
    )

    categories = {item.category for item in find_security_changes(diff_templates("s", "dev", old, new))}
    assert categories == {SecurityCategory.AUTHORIZATION, SecurityCategory.PUBLIC}


def test_markdown_puts_danger_first_and_escapes_wildcards() -> None:
    wildcard = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    old = {"dev/Stateful": template(T=table())}
    new = {
        "dev/Stateful": template(T=table("id")),
        "dev/Stateless": template(
            P={"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [wildcard]}}}
        ),
    }
    report = build_report(base="main", head="work", old=loaded(old), new=loaded(new))

    markdown = render_markdown(report)
    assert markdown.index("DANGER") < markdown.index("## Summary") < markdown.index("## Security")
    assert "| dev/Stateless (new stack) | 1 | 0 | 0 | 1 | 0 |" in markdown
    assert "Allow s3:\\* on \\*" in markdown
    assert "Allow s3:* on *" in render_text(report)


def test_an_action_added_to_a_statement_is_shown_as_the_action_alone() -> None:
    scope = {"Effect": "Allow", "Resource": {"Fn::GetAtt": ["T", "Arn"]}}
    old = template(P={"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [
        {**scope, "Action": ["dynamodb:GetItem", "dynamodb:Query"]}]}}})  # fmt: skip
    new = template(P={"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [
        {**scope, "Action": ["dynamodb:GetItem", "dynamodb:Scan"]}]}}})  # fmt: skip

    found = find_security_changes(diff_templates("s", "dev", old, new))
    assert [item.summary for item in found] == [
        "Properties.PolicyDocument: ~ Allow on T.Arn: + dynamodb:Scan; - dynamodb:Query"
    ]


def test_a_retained_resource_that_leaves_the_stack_is_reported_as_orphaned() -> None:
    (danger,) = dangers(template(T=table(policy="Retain")), template())

    assert danger.kind is DangerKind.DELETION
    assert danger.detail.endswith("kept but orphaned from the stack (Retain)")


def test_a_stateful_resource_changing_type_is_replaced() -> None:
    as_table_v1 = {**table(policy="Delete"), "Type": "AWS::DynamoDB::Table"}

    (danger,) = dangers(template(T=as_table_v1), template(T=table(policy="Delete")))
    assert danger.kind is DangerKind.REPLACEMENT
    assert "AWS::DynamoDB::Table -> AWS::DynamoDB::GlobalTable" in danger.detail
