"""The API function, its alias, layer, log group and role, per environment."""

from __future__ import annotations

from typing import Any

import pytest

import app as cdk_entry
from runtime import contract
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
    stack = app.stages[environment].stateless
    resource: dict[str, Any] = app.template_json(environment, "Stateless")["Resources"][
        logical_id(stack.function)
    ]
    return resource


def test_function_runs_python_313_on_arm64_with_the_runtime_handler_and_layer(synthesized_app, environment):
    stack = synthesized_app.stages[environment].stateless
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
    stack = synthesized_app.stages[environment].stateless
    properties = function_resource(synthesized_app, environment)["Properties"]
    log_group_id = logical_id(stack.api_function.log_group)

    assert properties["LoggingConfig"] == {
        "LogFormat": "JSON",
        "LogGroup": {"Ref": log_group_id},
        "ApplicationLogLevel": LOG_LEVEL[environment],
        "SystemLogLevel": "WARN",
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
    stack = synthesized_app.stages[environment].stateless
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
    stack = synthesized_app.stages[environment].stateless
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


def _actions(document: dict[str, Any]) -> list[str]:
    actions: list[str] = []
    for statement in document["Statement"]:
        action = statement.get("Action", [])
        actions.extend([action] if isinstance(action, str) else action)
    return actions


@pytest.mark.parametrize("kind", ["Stateful", "Stateless"])
def test_no_statement_in_any_policy_allows_a_wildcard_action(synthesized_app, environment, kind):
    template = synthesized_app.template_json(environment, kind)
    documents = [
        policy["Properties"]["PolicyDocument"]
        for policy in resources_of_type(template, "AWS::IAM::Policy").values()
    ] + [
        inline["PolicyDocument"]
        for role in resources_of_type(template, "AWS::IAM::Role").values()
        for inline in role["Properties"].get("Policies", [])
    ]

    wildcards = [action for document in documents for action in _actions(document) if "*" in action]

    assert wildcards == []


def test_every_lambda_permission_targets_the_alias_never_latest(synthesized_app, template, environment):
    stack = synthesized_app.stages[environment].stateless
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
