"""Compare two assemblies stack by stack and collect the dangers and security changes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from serverless_fastapi_cdk.toolkit.stack_diff.assembly import StackTemplate, Template
from serverless_fastapi_cdk.toolkit.stack_diff.compare import StackDiff, diff_templates
from serverless_fastapi_cdk.toolkit.stack_diff.engine import stack_impacts
from serverless_fastapi_cdk.toolkit.stack_diff.security import SecurityChange, find_security_changes
from serverless_fastapi_cdk.toolkit.stack_diff.stateful import Danger, find_dangers

type CliText = Callable[[str, Template | None], str]
"""Renders the CDK CLI's diff of a stack (by name) of the new assembly against an old template."""


@dataclass(frozen=True)
class DiffReport:
    base: str
    head: str
    stacks: tuple[StackDiff, ...]
    dangers: tuple[Danger, ...]
    security: tuple[SecurityChange, ...]
    cli_text: Mapping[str, str]
    permissions_broadened: tuple[str, ...] = ()
    """Stacks where cloudformation-diff sees IAM or security-group permissions broaden."""

    @property
    def changed_stacks(self) -> list[StackDiff]:
        return [stack for stack in self.stacks if stack.has_changes]


def build_report(
    *,
    base: str,
    head: str,
    old: Mapping[str, StackTemplate],
    new: Mapping[str, StackTemplate],
    cli_text: CliText | None = None,
    node: Path | None = None,
    project: Path | None = None,
) -> DiffReport:
    """Diff every stack present on either side; ``cli_text`` adds the CLI's view of each changed stack.
    ``node`` and ``project`` run the diff engine (:func:`stack_impacts`)."""
    stacks = tuple(
        diff_templates(
            name,
            (new.get(name) or old[name]).stage,
            old[name].template if name in old else None,
            new[name].template if name in new else None,
        )
        for name in sorted(old.keys() | new.keys())
    )
    texts = {}
    if cli_text is not None:
        texts = {
            stack.name: cli_text(stack.name, old[stack.name].template if stack.name in old else None)
            for stack in stacks
            if stack.has_changes and stack.exists_after
        }
    impacts = stack_impacts(stacks, node=node, project=project)
    return DiffReport(
        base=base,
        head=head,
        stacks=stacks,
        dangers=tuple(find_dangers(stacks, impacts)),
        permissions_broadened=tuple(
            sorted(name for name, item in impacts.items() if item.permissions_broadened)
        ),
        security=tuple(change for stack in stacks for change in find_security_changes(stack)),
        cli_text=texts,
    )
