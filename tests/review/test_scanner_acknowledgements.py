"""The helper that writes scanner acknowledgements into a resource's Metadata, in each scanner's format."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, CfnResource, Stack
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template
from constructs import Construct

from cdk_app.scanner_acknowledgements import acknowledge_cfn_lint, acknowledge_checkov


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
