"""Read a synthesized CDK cloud assembly: its stages, its stacks with their templates, and its file assets.

One reader for every tool that looks at ``cdk synth`` output (the local emulator, the stack diff, the
deploy tooling). An assembly's ``manifest.json`` lists artifacts: stacks (``aws:cloudformation:stack``),
asset manifests (``cdk:asset-manifest``) and, for each CDK ``Stage``, a nested assembly
(``cdk:cloud-assembly``) in a folder of its own with the same layout. Stacks defined at the top of the
app belong to no stage (their :attr:`StackTemplate.stage` is ``""``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"
ASSET_MANIFEST_ARTIFACT = "cdk:asset-manifest"
UNKNOWN_ACCOUNT = "unknown-account"
UNKNOWN_REGION = "unknown-region"

type Template = dict[str, Any]


class AssemblyError(ValueError):
    """The folder is not a readable cloud assembly, or lacks what was asked for; the message says which."""


@dataclass(frozen=True, kw_only=True)
class StackTemplate:
    """One synthesized stack: its names, where it deploys, its template and its manifest properties."""

    artifact_id: str
    stack_name: str
    """The CloudFormation stack name (``dev-Stateless``)."""
    template: Template
    display_name: str = ""
    """The name the CDK CLI selects it by (``dev/Stateless``); defaults to :attr:`stack_name`."""
    stage: str = ""
    """The display name of the CDK ``Stage`` holding it; ``""`` for a stack at the top of the app."""
    environment: str = ""
    """``aws://<account>/<region>``, with ``unknown-account``/``unknown-region`` where it is left open."""
    template_path: Path | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    """The artifact's properties in the manifest (bootstrap version, roles, stack name...)."""
    dependencies: tuple[str, ...] = ()
    """The artifact ids this stack depends on (other stacks, asset manifests): deployed before it."""

    @property
    def name(self) -> str:
        return self.display_name or self.stack_name

    @property
    def resources(self) -> Mapping[str, Any]:
        resources: Mapping[str, Any] = self.template.get("Resources", {})
        return resources

    @property
    def account(self) -> str | None:
        """The account it deploys to; None when the stack leaves it to the credentials."""
        account = self.environment.removeprefix("aws://").split("/", 1)[0]
        return None if not account or account == UNKNOWN_ACCOUNT else account

    @property
    def region(self) -> str | None:
        """The region it deploys to; None when the stack leaves it to the credentials."""
        region = self.environment.removeprefix("aws://").rsplit("/", 1)[-1] if "/" in self.environment else ""
        return None if not region or region.startswith("unknown-") else region


def read_json(path: Path) -> dict[str, Any]:
    """A JSON document of the assembly; :class:`AssemblyError` when it is missing or unreadable."""
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError as missing:
        raise AssemblyError(f"{path} is missing: synthesize the app first") from missing
    except (OSError, ValueError) as error:
        raise AssemblyError(f"{path}: not a readable cloud assembly file ({error})") from error
    return data


class CloudAssembly:
    """The stacks of an assembly, stages included, and its file assets; a stage is read when first asked."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._stage_dirs: dict[str, Path] = {}
        self._stacks: dict[str, list[StackTemplate]] = {}
        self._manifest_order: dict[str, list[str]] = {}
        self._assets: dict[str, dict[str, Path]] = {}
        self._read_stage("", directory)

    def _read_stage(self, stage: str, directory: Path) -> None:
        manifest = read_json(directory / "manifest.json")
        stacks: list[StackTemplate] = []
        assets: dict[str, Path] = {}
        for artifact_id, artifact in sorted(manifest.get("artifacts", {}).items()):
            properties = artifact.get("properties", {})
            kind = artifact.get("type")
            if kind == NESTED_ASSEMBLY_ARTIFACT and stage == "":
                name = str(properties.get("displayName", artifact_id))
                self._stage_dirs[name] = directory / str(properties["directoryName"])
            elif kind == STACK_ARTIFACT:
                template_path = directory / properties["templateFile"]
                stacks.append(
                    StackTemplate(
                        artifact_id=artifact_id,
                        stack_name=str(properties.get("stackName", artifact_id)),
                        display_name=str(artifact.get("displayName", artifact_id)),
                        stage=stage,
                        environment=str(artifact.get("environment", "")),
                        template=read_json(template_path),
                        template_path=template_path,
                        properties=properties,
                        dependencies=tuple(artifact.get("dependencies", ())),
                    )
                )
            elif kind == ASSET_MANIFEST_ARTIFACT:
                assets.update(_file_assets(directory / properties["file"]))
        self._stacks[stage] = sorted(stacks, key=lambda stack: stack.name)
        self._manifest_order[stage] = [
            artifact_id
            for artifact_id, artifact in manifest.get("artifacts", {}).items()
            if artifact.get("type") == STACK_ARTIFACT
        ]
        self._assets[stage] = assets

    def _stage(self, stage: str) -> None:
        if stage not in self._stacks:
            self._require_stage(stage)
            self._read_stage(stage, self._stage_dirs[stage])

    @property
    def stacks(self) -> tuple[StackTemplate, ...]:
        """Every stack: those at the top of the app, then each stage's, by name."""
        for stage in self.stages():
            self._stage(stage)
        return tuple(
            sorted((stack for stacks in self._stacks.values() for stack in stacks), key=lambda s: s.name)
        )

    def stages(self) -> list[str]:
        """The display names of the app's stages, sorted (``["dev", "prod", "staging"]``)."""
        return sorted(self._stage_dirs)

    def stage_directory(self, stage: str) -> Path:
        """The folder of ``stage``'s nested assembly (the assembly itself for ``""``)."""
        if stage == "":
            return self.directory
        self._require_stage(stage)
        return self._stage_dirs[stage]

    def stage_stacks(self, stage: str) -> list[StackTemplate]:
        """The stacks of ``stage`` by name; ``""`` selects the stacks at the top of the app."""
        self._stage(stage)
        stacks = list(self._stacks[stage])
        if not stacks:
            where = f"stage {stage!r} of {self.directory}" if stage else str(self.directory)
            raise AssemblyError(f"{where} holds no stack")
        return stacks

    def deployment_order(self, stage: str) -> list[StackTemplate]:
        """The stacks of ``stage`` in the manifest's order (the CDK CLI's), each after those it depends on."""
        by_id = {stack.artifact_id: stack for stack in self.stage_stacks(stage)}
        ordered: dict[str, StackTemplate] = {}

        def visit(stack: StackTemplate, path: tuple[str, ...]) -> None:
            if stack.artifact_id in ordered:
                return
            if stack.artifact_id in path:
                raise AssemblyError(f"stacks depend on each other in a cycle: {' -> '.join(path)}")
            for dependency in stack.dependencies:
                if dependency in by_id:
                    visit(by_id[dependency], (*path, stack.artifact_id))
            ordered[stack.artifact_id] = stack

        for artifact_id in self._manifest_order[stage]:
            visit(by_id[artifact_id], ())
        return list(ordered.values())

    def file_assets(self, stage: str) -> dict[str, Path]:
        """The file assets of ``stage`` (``""``: of the top of the app): S3 object key -> local path."""
        self._stage(stage)
        return dict(self._assets[stage])

    def by_name(self) -> dict[str, StackTemplate]:
        """Every stack, keyed by display name (``dev/Stateful``)."""
        return {stack.name: stack for stack in self.stacks}

    def _require_stage(self, stage: str) -> None:
        if stage not in self._stage_dirs:
            available = ", ".join(self.stages()) or "none: its stacks are at the top of the app"
            raise AssemblyError(f"{self.directory} has no stage {stage!r} (stages: {available})")


def _file_assets(path: Path) -> dict[str, Path]:
    assets = {}
    for asset in read_json(path).get("files", {}).values():
        source = asset.get("source", {})
        if "path" not in source:
            continue
        for destination in asset.get("destinations", {}).values():
            assets[destination["objectKey"]] = (path.parent / source["path"]).resolve()
    return assets
