"""What the library's tests share: the fixtures' folder, the context a reuser's cdk.json holds, and
helpers to read a synthesized template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import CfnElement, Stack

LIBRARY = Path(__file__).resolve().parents[1]
"""The library's folder (its pyproject.toml, src/ and tests/)."""
FIXTURES = LIBRARY / "tests" / "fixtures"
CLI_CONTEXT = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
}
"""What the CDK CLI adds to cdk.json's context by default; the tests synthesize without the CLI."""


def cdk_json_context() -> dict[str, Any]:
    """The feature flags of the example cdk.json (fixtures/cdk.json) plus the CLI's defaults."""
    context: dict[str, Any] = json.loads((FIXTURES / "cdk.json").read_text())["context"]
    return {**context, **CLI_CONTEXT}


def logical_id(construct: Any) -> str:
    """The CloudFormation logical id of an L2 construct's resource (or of an L1 resource)."""
    resource = construct if isinstance(construct, CfnElement) else construct.node.default_child
    stack = Stack.of(resource)
    return str(stack.resolve(stack.get_logical_id(resource)))


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """``{logical id: resource}`` of every resource of ``resource_type`` in a template."""
    return {key: value for key, value in template["Resources"].items() if value["Type"] == resource_type}
