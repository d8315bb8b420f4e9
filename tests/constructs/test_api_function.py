"""The API function, its alias, layer, log group and role, per environment."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest

import app as cdk_entry
from runtime import contract
from runtime.token_verifier import ENV_CLIENT_IDS, ENV_ISSUER
from serverless_fastapi_cdk.toolkit.stack_diff.security import policy_statements
from tests.support.cdk_synthesis import SynthesizedApp, logical_id, resources_of_type

RETENTION_DAYS = {"dev": 7, "staging": 30, "prod": 365}
MEMORY_MB = {"dev": 512, "staging": 1024, "prod": 1024}
RESERVED_CONCURRENCY = {"dev": 5, "staging": 20, "prod": 100}
SNAP_START = {"dev": False, "staging": True, "prod": True}
LOG_LEVEL = {"dev": "DEBUG", "staging": "INFO", "prod": "INFO"}
DOCS_ENABLED = {"dev": "true", "staging": "true", "prod": "false"}


def stateful_output_value(app: SynthesizedApp, environment: str, reference: dict[str, Any]) -> Any:
    """What a ``Fn::GetStackOutput`` reference to the stateful stack resolves to in that stack."""
    output = reference["Fn::GetStackOutput"]
    assert output["StackName"] == f"{environment}-Stateful"
    return app.template_json(environment, "Stateful")["Outputs"][output["OutputName"]]["Value"]


def function_resource(app: SynthesizedApp, environment: str) -> dict[str, Any]:
    stack = app.stages[environment].stateless.service
    resource: dict[str, Any] = app.template_json(environment, "Stateless")["Resources"][
        logical_id(stack.function)
    ]
    return resource


def test_function_runs_python_313_on_arm64_with_the_runtime_handler_and_layer(synthesized_app, environment):
    stack = synthesized_app.stages[environment].stateless.service
    properties = function_resource(synthesized_app, environment)["Properties"]

    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["arm64"]
    assert properties["Handler"] == contract.HANDLER
    assert properties["Layers"] == [{"Ref": logical_id(stack.layer)}]
    assert properties["TracingConfig"] == {"Mode": "Active"}


def test_function_size_and_concurrency_follow_the_environment(synthesized_app, environment):
    properties = function_resource(synthesized_app, environment)["Properties"]

    assert properties["MemorySize"] == MEMORY_MB[environment]
    assert properties["Timeout"] == 10
    assert properties["ReservedConcurrentExecutions"] == RESERVED_CONCURRENCY[environment]


def test_function_logs_json_to_its_own_log_group_with_retention(synthesized_app, template, environment):
    stack = synthesized_app.stages[environment].stateless.service
    properties = function_resource(synthesized_app, environment)["Properties"]
    log_group_id = logical_id(stack.api_function.log_group)

    assert properties["LoggingConfig"] == {
        "LogFormat": "JSON",
        "LogGroup": {"Ref": log_group_id},
        "ApplicationLogLevel": LOG_LEVEL[environment],
        "SystemLogLevel": "INFO",
    }
    log_group = synthesized_app.template_json(environment, "Stateless")["Resources"][log_group_id]
    assert log_group["Properties"]["RetentionInDays"] == RETENTION_DAYS[environment]


def test_function_environment_is_exactly_the_runtime_contract(synthesized_app, environment):
    stateful = synthesized_app.stages[environment].stateful
    variables = dict(
        function_resource(synthesized_app, environment)["Properties"]["Environment"]["Variables"]
    )
    table_name = variables.pop(contract.ENV_TABLE_NAME)
    secret = variables.pop(contract.ENV_CURSOR_SECRET_NAME)
    issuer, client_ids = variables.pop(ENV_ISSUER), variables.pop(ENV_CLIENT_IDS)
    template = synthesized_app.template_json(environment, "Stateless")
    (authorizer,) = [
        resource["Properties"]["JwtConfiguration"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::ApiGatewayV2::Authorizer"
    ]

    assert (issuer, client_ids) == (authorizer["Issuer"], {"Fn::Join": [",", authorizer["Audience"]]})
    assert variables == {
        contract.ENV_ENABLE_DOCS: DOCS_ENABLED[environment],
        contract.ENV_APP_VERSION: cdk_entry.project_version(),
        "POWERTOOLS_SERVICE_NAME": "items-api",
        "POWERTOOLS_METRICS_NAMESPACE": "ItemsService",
        "POWERTOOLS_LOG_LEVEL": LOG_LEVEL[environment],
    }
    assert stateful_output_value(synthesized_app, environment, table_name) == {
        "Ref": logical_id(stateful.table)
    }
    assert stateful_output_value(synthesized_app, environment, secret) == {
        "Ref": logical_id(stateful.cursor_secret)
    }


def test_snap_start_applies_to_published_versions_where_the_environment_says(synthesized_app, environment):
    properties = function_resource(synthesized_app, environment)["Properties"]

    if SNAP_START[environment]:
        assert properties["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    else:
        assert "SnapStart" not in properties


def test_live_alias_points_at_the_current_published_version(synthesized_app, environment):
    stack = synthesized_app.stages[environment].stateless.service
    resources = synthesized_app.template_json(environment, "Stateless")["Resources"]
    function_ref = {"Ref": logical_id(stack.function)}
    (version_id,) = [
        key
        for key, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Version"
        and resource["Properties"]["FunctionName"] == function_ref
    ]
    alias = resources[logical_id(stack.alias)]

    assert version_id.startswith(logical_id(stack.api_function.version))
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionName"] == function_ref
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    assert "ProvisionedConcurrencyConfig" not in alias["Properties"]


def test_layer_targets_the_function_runtime_and_architecture(template, environment):
    template(environment, "Stateless").has_resource_properties(
        "AWS::Lambda::LayerVersion",
        {"CompatibleArchitectures": ["arm64"], "CompatibleRuntimes": ["python3.13"]},
    )


def test_function_role_grants_exactly_its_logs_traces_table_and_secret(synthesized_app, environment):
    stack = synthesized_app.stages[environment].stateless.service
    stateful = synthesized_app.stages[environment].stateful
    template = synthesized_app.template_json(environment, "Stateless")
    role_id = logical_id(stack.api_function.role)
    role = template["Resources"][role_id]["Properties"]
    policies = [
        policy["Properties"]
        for policy in resources_of_type(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
    ]

    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    assert "ManagedPolicyArns" not in role
    assert "Policies" not in role
    assert len(policies) == 1
    statements = policies[0]["PolicyDocument"]["Statement"]
    table_arn, secret_arn = statements[2].pop("Resource"), statements[3].pop("Resource")
    assert statements == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [logical_id(stack.api_function.log_group), "Arn"]},
        },
        {
            "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            "Effect": "Allow",
            "Resource": "*",
        },
        {
            "Action": [
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
            ],
            "Effect": "Allow",
        },
        {"Action": "secretsmanager:GetSecretValue", "Effect": "Allow"},
    ]
    assert stateful_output_value(synthesized_app, environment, table_arn) == {
        "Fn::GetAtt": [logical_id(stateful.table), "Arn"]
    }
    assert stateful_output_value(synthesized_app, environment, secret_arn) == {
        "Ref": logical_id(stateful.cursor_secret)
    }


ACCOUNT_ROOT = re.compile(r"^arn:(aws|\$\{AWS::Partition\}):iam::\$\{AWS::AccountId\}:root$")
"""The stack's own account root (the partition may be a literal, per ``enablePartitionLiterals``)."""


def is_kms_default_root_statement(resource_type: str, statement: Mapping[str, Any]) -> bool:
    """The one wildcard allowed: CDK's default statement of every ``kms.Key`` policy, ``kms:*`` for the
    key's own account root, without conditions. It makes IAM policies govern who may use the key; AWS
    recommends keeping it, as a key policy without it can lock every principal, administrators included,
    out of the key for good."""
    principal = statement.get("Principal")
    return (
        resource_type == "AWS::KMS::Key"
        and set(statement) <= {"Sid", "Action", "Effect", "Principal", "Resource"}
        and (statement.get("Action"), statement.get("Effect"), statement.get("Resource"))
        == ("kms:*", "Allow", "*")
        and isinstance(principal, dict)
        and list(principal) == ["AWS"]
        and bool(ACCOUNT_ROOT.match(rendered(principal["AWS"])))
    )


def rendered(value: Any) -> str:
    """A string, ``Ref`` or ``Fn::Join`` as text, references written ``${Name}``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and list(value) == ["Ref"]:
        return f"${{{value['Ref']}}}"
    if isinstance(value, dict) and list(value) == ["Fn::Join"]:
        separator, parts = value["Fn::Join"]
        return str(separator).join(rendered(part) for part in parts)
    return json.dumps(value)


def wildcard_actions(template: dict[str, Any]) -> list[str]:
    """``<resource>.<path>: <key> <action>`` for each ``Action``/``NotAction`` holding a ``*``, the KMS
    default root statement excepted."""
    found = []
    for resource_id, resource in template["Resources"].items():
        for path, statements in policy_statements(resource).items():
            where = resource_id + path.removeprefix("Properties")
            for statement in statements:
                if is_kms_default_root_statement(resource["Type"], statement):
                    continue
                for key in ("Action", "NotAction"):
                    actions = statement.get(key, [])
                    for action in [actions] if isinstance(actions, str) else actions:
                        if "*" in action:
                            found.append(f"{where}: {key} {action}")
    return found


@pytest.mark.parametrize("kind", ["Stateful", "Stateless"])
def test_no_policy_document_of_any_resource_allows_a_wildcard_action(synthesized_app, environment, kind):
    """Role and managed policies, key, topic, queue and secret policies: every document in the template."""
    template = synthesized_app.template_json(environment, kind)

    assert wildcard_actions(template) == []


def test_the_wildcard_check_reads_every_kind_of_policy_document():
    """The control: a wildcard in a key policy, a topic policy, a JSON-string policy and a role's inline
    policy is found; only the KMS default root statement passes (not with a condition, not for another
    account's root), and wildcard resources are not what this checks."""
    statement = {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": "*"}
    root = {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]
    }
    kms_default = {"Action": "kms:*", "Effect": "Allow", "Principal": {"AWS": root}, "Resource": "*"}
    template = {
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {"Statement": [kms_default, {**statement, "Action": "kms:GenerateDataKey*"}]}
                },
            },
            "TopicPolicy": {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {
                    "PolicyDocument": {"Statement": [statement, {**statement, "Action": "sns:*"}]}
                },
            },
            "LogPolicy": {
                "Type": "AWS::Logs::ResourcePolicy",
                "Properties": {
                    "PolicyDocument": json.dumps({"Statement": [{**statement, "Action": "logs:Put*"}]})
                },
            },
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Policies": [{"PolicyDocument": {"Statement": [{**statement, "NotAction": "iam:*"}]}}]
                },
            },
            "OtherKey": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {
                        "Statement": [
                            {**kms_default, "Condition": {"Bool": {"aws:ViaAWSService": "true"}}},
                            {**kms_default, "Principal": {"AWS": "arn:aws:iam::111111111111:root"}},
                        ]
                    }
                },
            },
        }
    }

    assert wildcard_actions(template) == [
        "Key.KeyPolicy: Action kms:GenerateDataKey*",
        "TopicPolicy.PolicyDocument: Action sns:*",
        "LogPolicy.PolicyDocument: Action logs:Put*",
        "Role.Policies[0].PolicyDocument: NotAction iam:*",
        "OtherKey.KeyPolicy: Action kms:*",
        "OtherKey.KeyPolicy: Action kms:*",
    ]


def test_every_lambda_permission_targets_the_alias_never_latest(synthesized_app, template, environment):
    stack = synthesized_app.stages[environment].stateless.service
    permissions = template(environment, "Stateless").find_resources(
        "AWS::Lambda::Permission", {"Properties": {"Principal": "apigateway.amazonaws.com"}}
    )

    assert permissions
    for permission in permissions.values():
        assert permission["Properties"]["FunctionName"] == {"Ref": logical_id(stack.alias)}
    template(environment, "Stateless").resource_properties_count_is(
        "AWS::Lambda::Permission",
        {"Principal": "apigateway.amazonaws.com", "FunctionName": {"Ref": logical_id(stack.function)}},
        0,
    )
