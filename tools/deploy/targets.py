"""Where an environment's stacks deploy to and which bootstrap they need, read from the cloud assembly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from serverless_fastapi_cdk.toolkit.cloud_assembly import AssemblyError, CloudAssembly, StackTemplate


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
    return _read(assembly).stages()


def stage_targets(assembly: Path, environment: str) -> list[StackTarget]:
    """Every stack of the stage ``environment``, with its target and bootstrap requirement, each after
    the stacks it depends on (the order a deployment must follow)."""
    cloud_assembly = _read(assembly)
    if environment not in cloud_assembly.stages():
        available = ", ".join(cloud_assembly.stages()) or "none"
        raise TargetError(f"no environment {environment!r} in {assembly} (available: {available})")
    return [_target(stack) for stack in cloud_assembly.deployment_order(environment)]


def _target(stack: StackTemplate) -> StackTarget:
    properties = stack.properties
    if stack.template_path is None:
        raise TargetError(f"{stack.name} has no template file")
    return StackTarget(
        name=stack.name,
        account=stack.account,
        region=stack.region,
        bootstrap_version=int(properties.get("requiresBootstrapStackVersion", 0)),
        bootstrap_parameter=properties.get(
            "bootstrapStackVersionSsmParameter", "/cdk-bootstrap/hnb659fds/version"
        ),
        template_file=stack.template_path,
        stack_name=properties.get("stackName", ""),
        lookup_role_arn=properties.get("lookupRole", {}).get("arn"),
    )


def _read(assembly: Path) -> CloudAssembly:
    if not (assembly / "manifest.json").is_file():
        raise TargetError(f"{assembly / 'manifest.json'} is missing: synthesize first (make synth)")
    try:
        return CloudAssembly(assembly)
    except AssemblyError as error:
        raise TargetError(str(error)) from error
