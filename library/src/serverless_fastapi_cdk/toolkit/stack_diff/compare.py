"""Resource-level comparison of two CloudFormation templates, down to the changed property paths."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from serverless_fastapi_cdk.toolkit.stack_diff.assembly import Template

IGNORED_TYPES = frozenset({"AWS::CDK::Metadata"})
"""Resources that only carry CDK usage analytics: they change with the library version, never the stack."""

CDK_PATH = "aws:cdk:path"


class Absent:
    """The value of a key or list item that one side does not have (distinct from JSON null)."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT = Absent()


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class PropertyChange:
    """One changed leaf: ``path`` like ``Properties.KeySchema[0].AttributeName``."""

    path: str
    old: Any
    new: Any

    @property
    def top_level_property(self) -> str | None:
        """The CloudFormation property this change is under, or None for attributes such as DeletionPolicy."""
        head, _, rest = self.path.partition(".")
        if head != "Properties" or not rest:
            return None
        for separator in (".", "["):
            rest = rest.split(separator, 1)[0]
        return rest


@dataclass(frozen=True)
class ResourceChange:
    """A resource added, removed or changed; ``old``/``new`` are the full resource definitions."""

    logical_id: str
    resource_type: str
    kind: ChangeKind
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None
    changes: tuple[PropertyChange, ...] = ()

    @property
    def construct_path(self) -> str:
        """The CDK construct path of the resource (from either side), or its logical id."""
        for side in (self.new, self.old):
            if side is not None and CDK_PATH in side.get("Metadata", {}):
                return str(side["Metadata"][CDK_PATH])
        return self.logical_id


@dataclass(frozen=True)
class StackDiff:
    """Every resource change of one stack; ``exists_before``/``exists_after`` tell a new or removed stack."""

    name: str
    environment: str
    exists_before: bool
    exists_after: bool
    resources: tuple[ResourceChange, ...]
    other_sections: tuple[PropertyChange, ...]

    def of_kind(self, kind: ChangeKind) -> list[ResourceChange]:
        return [change for change in self.resources if change.kind is kind]

    @property
    def has_changes(self) -> bool:
        return bool(self.resources or self.other_sections)


def diff_templates(name: str, environment: str, old: Template | None, new: Template | None) -> StackDiff:
    """Compare two templates of the same stack; a missing side means the stack is new or removed."""
    old_resources = _resources(old)
    new_resources = _resources(new)
    resources: list[ResourceChange] = []
    for logical_id in sorted(old_resources.keys() | new_resources.keys()):
        before, after = old_resources.get(logical_id), new_resources.get(logical_id)
        if before is None and after is not None:
            resources.append(ResourceChange(logical_id, after["Type"], ChangeKind.ADDED, None, after))
        elif after is None and before is not None:
            resources.append(ResourceChange(logical_id, before["Type"], ChangeKind.REMOVED, before, None))
        elif before is not None and after is not None:
            changes = tuple(diff_values(before, after))
            if changes:
                resources.append(
                    ResourceChange(logical_id, after["Type"], ChangeKind.CHANGED, before, after, changes)
                )
    other = tuple(
        change
        for section in ("Parameters", "Conditions", "Outputs", "Mappings", "Rules")
        for change in diff_values((old or {}).get(section, {}), (new or {}).get(section, {}), section)
    )
    return StackDiff(name, environment, old is not None, new is not None, tuple(resources), other)


def _resources(template: Template | None) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in (template or {}).get("Resources", {}).items()
        if resource.get("Type") not in IGNORED_TYPES
    }


def diff_values(old: Any, new: Any, path: str = "") -> Iterator[PropertyChange]:
    """Yield the leaf-level differences between two JSON values, with dotted/indexed paths."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            child = f"{path}.{key}" if path else key
            yield from diff_values(old.get(key, ABSENT), new.get(key, ABSENT), child)
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            before = old[index] if index < len(old) else ABSENT
            after = new[index] if index < len(new) else ABSENT
            yield from diff_values(before, after, f"{path}[{index}]")
    elif old != new or type(old) is not type(new):
        yield PropertyChange(path, old, new)
