"""Read the stack templates of a synthesized cloud assembly, including the nested assemblies of stages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"

type Template = dict[str, Any]


@dataclass(frozen=True)
class StackTemplate:
    """One synthesized stack: its display name (``dev/Stateful``), stage and template."""

    name: str
    environment: str
    template: Template
    template_path: Path


class AssemblyError(Exception):
    """The directory is not a readable cloud assembly."""


def load_assembly(directory: Path) -> dict[str, StackTemplate]:
    """Return every stack of the assembly in ``directory``, keyed by display name, stages included."""
    stacks: dict[str, StackTemplate] = {}
    _collect(directory, environment="", into=stacks)
    return dict(sorted(stacks.items()))


def _collect(directory: Path, *, environment: str, into: dict[str, StackTemplate]) -> None:
    manifest_path = directory / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as error:
        raise AssemblyError(f"{manifest_path}: not a cloud assembly manifest ({error})") from error
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        properties = artifact.get("properties", {})
        if artifact["type"] == NESTED_ASSEMBLY_ARTIFACT:
            stage = properties.get("displayName", artifact_id)
            _collect(directory / properties["directoryName"], environment=stage, into=into)
        elif artifact["type"] == STACK_ARTIFACT:
            name = artifact.get("displayName", artifact_id)
            template_path = directory / properties["templateFile"]
            into[name] = StackTemplate(
                name=name,
                environment=environment,
                template=json.loads(template_path.read_text()),
                template_path=template_path,
            )
