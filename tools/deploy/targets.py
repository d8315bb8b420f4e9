"""Where an environment's stacks deploy to and which bootstrap they need, read from the cloud assembly."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UNKNOWN_ACCOUNT = "unknown-account"
UNKNOWN_REGION = "unknown-region"


class TargetError(RuntimeError):
    """The assembly does not hold the requested environment."""


@dataclass(frozen=True)
class StackTarget:
    """One stack of a stage: ``account``/``region`` are None when the stack leaves them to the credentials."""

    name: str
    account: str | None
    region: str | None
    bootstrap_version: int
    bootstrap_parameter: str
    template_file: Path
    """The stack's synthesized CloudFormation template."""
    stack_name: str = ""
    """The CloudFormation stack name (``dev-Stateless``); defaults to :attr:`name`."""
    lookup_role_arn: str | None = None
    """The CDK bootstrap lookup role (read-only), with ``${AWS::AccountId}``-style placeholders."""

    def resolved_lookup_role(self, account: str, region: str, partition: str = "aws") -> str | None:
        """The lookup role's ARN in ``account``/``region``, or None if the stack names none."""
        if self.lookup_role_arn is None:
            return None
        return (
            self.lookup_role_arn.replace("${AWS::AccountId}", account)
            .replace("${AWS::Region}", region)
            .replace("${AWS::Partition}", partition)
        )

    @property
    def cloudformation_name(self) -> str:
        return self.stack_name or self.name


def stage_names(assembly: Path) -> list[str]:
    """The stages (environments) of the assembly, e.g. ``["dev", "prod", "staging"]``."""
    return sorted(
        artifact["properties"].get("displayName", artifact_id)
        for artifact_id, artifact in _manifest(assembly)["artifacts"].items()
        if artifact["type"] == "cdk:cloud-assembly"
    )


def stage_targets(assembly: Path, environment: str) -> list[StackTarget]:
    """Every stack of the stage ``environment``, with its target and bootstrap requirement."""
    for artifact_id, artifact in _manifest(assembly)["artifacts"].items():
        properties = artifact.get("properties", {})
        if (
            artifact["type"] == "cdk:cloud-assembly"
            and properties.get("displayName", artifact_id) == environment
        ):
            directory = assembly / properties["directoryName"]
            return [
                _target(artifact_id, stack, directory)
                for artifact_id, stack in _manifest(directory)["artifacts"].items()
                if stack["type"] == "aws:cloudformation:stack"
            ]
    available = ", ".join(stage_names(assembly)) or "none"
    raise TargetError(f"no environment {environment!r} in {assembly} (available: {available})")


def _target(artifact_id: str, stack: dict[str, Any], directory: Path) -> StackTarget:
    account, region = stack["environment"].removeprefix("aws://").split("/", 1)
    properties = stack["properties"]
    return StackTarget(
        name=stack.get("displayName", artifact_id),
        account=None if account == UNKNOWN_ACCOUNT else account,
        region=None if region == UNKNOWN_REGION else region,
        bootstrap_version=int(properties.get("requiresBootstrapStackVersion", 0)),
        bootstrap_parameter=properties.get(
            "bootstrapStackVersionSsmParameter", "/cdk-bootstrap/hnb659fds/version"
        ),
        template_file=directory / properties["templateFile"],
        stack_name=properties.get("stackName", ""),
        lookup_role_arn=properties.get("lookupRole", {}).get("arn"),
    )


def _manifest(directory: Path) -> dict[str, Any]:
    path = directory / "manifest.json"
    if not path.is_file():
        raise TargetError(f"{path} is missing: synthesize first (make synth)")
    manifest: dict[str, Any] = json.loads(path.read_text())
    return manifest
