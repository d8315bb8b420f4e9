"""The helper that writes scanner acknowledgements into a resource's Metadata, in each scanner's format."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, CfnResource, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template
from constructs import Construct

from serverless_fastapi_cdk.canary_deployment import (
    ENV_HEALTH_PATH,
    ENV_HEALTH_VERSION_FIELD,
    ENV_TARGET_TIMEOUT_SECONDS,
    ENV_TARGET_VERSION_ARN,
)
from serverless_fastapi_cdk.scanner_acknowledgements import (
    acknowledge_cfn_lint,
    acknowledge_checkov,
    acknowledge_function_baseline,
)
from tests.support.cdk_synthesis import ENVIRONMENTS, SynthesizedApp, resources_of_type


def queue_metadata(stack: Stack) -> dict[str, Any]:
    """The Metadata of the stack's only queue."""
    (queue,) = Template.from_stack(stack).find_resources("AWS::SQS::Queue").values()
    metadata: dict[str, Any] = queue.get("Metadata", {})
    return metadata


def test_acknowledgements_merge_per_scanner_and_replace_a_repeated_id() -> None:
    stack = Stack(App(), "Stack")
    queue = sqs.Queue(stack, "Queue")

    acknowledge_checkov(queue, "CKV_AWS_27", reason="first reason")
    acknowledge_checkov(queue, "CKV_AWS_27", reason="  second reason ")
    acknowledge_checkov(queue, "CKV_AWS_28", reason="other check")
    acknowledge_cfn_lint(queue, "ES6000", reason="no consumer retries")
    acknowledge_cfn_lint(queue, "W3005", reason="CDK dependency")

    metadata = queue_metadata(stack)
    assert metadata["checkov"] == {
        "skip": [
            {"id": "CKV_AWS_27", "comment": "second reason"},
            {"id": "CKV_AWS_28", "comment": "other check"},
        ]
    }
    assert metadata["cfn-lint"] == {
        "config": {"ignore_checks": ["ES6000", "W3005"]},
        "reasons": {"ES6000": "no consumer retries", "W3005": "CDK dependency"},
    }


def test_a_level_one_resource_is_acknowledged_directly() -> None:
    stack = Stack(App(), "Stack")
    resource = CfnResource(stack, "Raw", type="AWS::SQS::Queue")

    acknowledge_checkov(resource, "CKV_AWS_27", reason="raw resource")

    assert queue_metadata(stack)["checkov"] == {"skip": [{"id": "CKV_AWS_27", "comment": "raw resource"}]}


def test_an_acknowledgement_needs_a_reason() -> None:
    queue = sqs.Queue(Stack(App(), "Stack"), "Queue")

    with pytest.raises(ValueError, match="CKV_AWS_27 needs a reason"):
        acknowledge_checkov(queue, "CKV_AWS_27", reason="  ")
    with pytest.raises(ValueError, match="W3005 needs a reason"):
        acknowledge_cfn_lint(queue, "W3005", reason="")


def test_a_construct_without_a_resource_is_refused() -> None:
    group = Construct(Stack(App(), "Stack"), "Group")

    with pytest.raises(TypeError, match="Stack/Group is not a CloudFormation resource"):
        acknowledge_checkov(group, "CKV_AWS_27", reason="nothing to attach to")


def checkov_reasons(metadata: dict[str, Any]) -> dict[str, str]:
    return {skip["id"]: skip["comment"] for skip in metadata["checkov"]["skip"]}


def inline_function(stack: Stack) -> lambda_.Function:
    return lambda_.Function(
        stack,
        "Fn",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )


def function_metadata(stack: Stack) -> dict[str, Any]:
    (function,) = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    metadata: dict[str, Any] = function["Metadata"]
    return metadata


def test_the_function_baseline_reasons_state_the_callers_facts() -> None:
    stack = Stack(App(), "Stack")
    acknowledge_function_baseline(
        inline_function(stack), aws_services=("S3", "SQS"), environment="a bucket name only"
    )

    reasons = checkov_reasons(function_metadata(stack))
    assert "(S3, SQS)" in reasons["CKV_AWS_117"]
    assert reasons["CKV_AWS_173"].startswith("The environment holds a bucket name only;")
    assert set(function_metadata(stack)["cfn-lint"]["reasons"]) == {"WS1004", "W3005"}


def test_the_function_baseline_needs_the_services_the_function_calls() -> None:
    with pytest.raises(ValueError, match="AWS services the function calls"):
        acknowledge_function_baseline(
            inline_function(Stack(App(), "Other")), aws_services=(), environment="nothing"
        )


def _services_granted(template: dict[str, Any], policy_prefix: str) -> set[str]:
    (policy,) = [
        resource
        for logical_id, resource in resources_of_type(template, "AWS::IAM::Policy").items()
        if logical_id.startswith(policy_prefix)
    ]
    return {
        str(action).split(":", 1)[0]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }


def _function(template: dict[str, Any], logical_id_prefix: str) -> dict[str, Any]:
    (function,) = [
        resource
        for logical_id, resource in resources_of_type(template, "AWS::Lambda::Function").items()
        if logical_id.startswith(logical_id_prefix)
    ]
    return function


def _services_named(reasons: dict[str, str]) -> set[str]:
    named = reasons["CKV_AWS_117"].split("(", 1)[1].split(")", 1)[0].split(", ")
    return {service.lower().replace(" ", "").replace("-", "") for service in named}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_pre_traffic_hooks_acknowledgements_are_true_of_the_hook(
    synthesized_app: SynthesizedApp, environment: str
) -> None:
    """The reasons name the services the hook's role may call and the one variable it has."""
    template = synthesized_app.template_json(environment, "Stateless")
    hook = _function(template, "CanaryPreTrafficHook")
    reasons = checkov_reasons(hook["Metadata"])

    assert _services_named(reasons) == _services_granted(
        template, "CanaryPreTrafficHookRoleDefaultPolicy"
    ) - {"logs"}
    assert set(hook["Properties"]["Environment"]["Variables"]) == {
        ENV_TARGET_VERSION_ARN,
        ENV_TARGET_TIMEOUT_SECONDS,
        ENV_HEALTH_PATH,
        ENV_HEALTH_VERSION_FIELD,
    }
    assert "ARN and timeout of the function version it tests and its health route" in reasons["CKV_AWS_173"]
    assert "Secrets Manager" not in reasons["CKV_AWS_173"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_service_functions_acknowledgement_names_the_services_its_role_may_call(
    synthesized_app: SynthesizedApp, environment: str
) -> None:
    template = synthesized_app.template_json(environment, "Stateless")
    reasons = checkov_reasons(_function(template, "ApiFunction")["Metadata"])

    assert _services_named(reasons) == _services_granted(template, "ApiRoleDefaultPolicy") - {"logs"}
