"""Classify the differences of two OpenAPI documents (3.0 or 3.1) as a client of the first sees them.

The engine is ``api-smart-diff`` (pinned in package.json, integrity-locked in package-lock.json), run by
the project's Node: it resolves ``$ref``s, walks both documents and classifies each difference by where
it is, a request or a response, as ``breaking``, ``non-breaking``, ``deprecated``, ``annotation`` (prose)
or ``unclassified``. Its classes are oasdiff's (the reference for what breaks an OpenAPI client), with
the exceptions that :data:`RULES` correct. Breaking, for a client written against the old document:

- an operation, a response status, a response field or a response header removed;
- a new required input: a required parameter or request field added, an optional one made required;
- an input narrowed: a type changed, an enum value removed, a lower maximum or length, a new pattern;
- an output widened: a response field no longer required, a response enum value added, a type changed;
- a security requirement added where there was none.

Changes under ``components/schemas`` are left out: the engine also reports them at every operation that
uses the schema, which says who is affected.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from serverless_fastapi_cdk.toolkit.toolchain import NodeScript, PrerequisiteError

SCRIPT = Path(__file__).with_name("api_diff.cjs")
ENGINE_PACKAGE = "api-smart-diff"
METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


class EngineError(RuntimeError):
    """The engine could not run; the message says how to get it."""


class Severity(StrEnum):
    """From the most to the least pressing, the order a review shows them in."""

    BREAKING = "breaking"
    DEPRECATED = "deprecated"
    UNCLASSIFIED = "unclassified"
    NON_BREAKING = "non-breaking"
    ANNOTATION = "annotation"


@dataclass(frozen=True)
class ContractChange:
    severity: Severity
    operation: str | None
    """``METHOD /path``, or None for a change outside the operations (``info``, security schemes...)."""
    where: str
    """The part of the operation, e.g. ``response 200 body: items[].tags`` or ``query parameter limit``."""
    change: str
    """What happened to it, e.g. ``removed`` or ``maxLength 100 → 50``."""
    pointer: str
    """The JSON pointer of the change in the documents."""


@dataclass(frozen=True)
class ContractDiff:
    changes: tuple[ContractChange, ...]

    @property
    def breaking(self) -> tuple[ContractChange, ...]:
        return self.of(Severity.BREAKING)

    def of(self, severity: Severity) -> tuple[ContractChange, ...]:
        return tuple(change for change in self.changes if change.severity is severity)


@dataclass(frozen=True)
class EngineDiff:
    """One difference as the engine reports it."""

    action: str
    """``add``, ``remove``, ``replace`` or ``rename``."""
    severity: Severity
    path: tuple[str, ...]
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Rule:
    reason: str
    applies: Callable[[EngineDiff], bool]
    severity: Severity


def _in_response(diff: EngineDiff) -> bool:
    return len(diff.path) > 4 and diff.path[0] == "paths" and diff.path[3] == "responses"


RULES = (
    Rule(
        "a type changed in a response breaks the clients that parse the old one (oasdiff: "
        "response-property-type-changed); the engine calls it non-breaking",
        lambda diff: _in_response(diff) and diff.path[-1] == "type" and diff.action == "replace",
        Severity.BREAKING,
    ),
    Rule(
        "a security requirement added to an operation refuses the clients that call it without "
        "credentials; the engine calls it non-breaking",
        lambda diff: (
            len(diff.path) == 4
            and diff.path[0] == "paths"
            and diff.path[3] == "security"
            and diff.action == "add"
        ),
        Severity.BREAKING,
    ),
)
"""Where this module's class differs from the engine's, and why."""


def compare(
    old: Mapping[str, Any], new: Mapping[str, Any], *, node: Path | None = None, project: Path | None = None
) -> ContractDiff:
    """The classified changes from ``old`` to ``new``, most pressing first, by the engine on ``node``
    with the ``node_modules`` of ``project`` (defaults: the project of the working directory, its Node)."""
    diffs = engine_diffs(old, new, node=node, project=project)
    changes: dict[ContractChange, None] = {}
    for diff in diffs:
        if diff.path[:2] == ("components", "schemas"):
            continue
        severity = next((rule.severity for rule in RULES if rule.applies(diff)), diff.severity)
        changes[_describe(diff, severity, old, new)] = None
    order = list(Severity)
    return ContractDiff(
        tuple(sorted(changes, key=lambda c: (order.index(c.severity), c.operation or "", c.where)))
    )


def engine_diffs(
    old: Mapping[str, Any], new: Mapping[str, Any], *, node: Path | None = None, project: Path | None = None
) -> list[EngineDiff]:
    """``api-smart-diff``'s differences, unfiltered."""
    try:
        script = NodeScript.find(node=node, project=project)
    except (PrerequisiteError, ValueError) as error:
        raise EngineError(str(error)) from error
    completed = subprocess.run(  # noqa: S603 - the project's Node running the script beside this file
        [str(script.node), str(SCRIPT)],
        input=json.dumps({"old": old, "new": new}),
        capture_output=True,
        text=True,
        cwd=script.project,
        env=script.environment(),
        check=False,
        timeout=120,
    )
    if completed.returncode != 0:
        raise EngineError(
            f"{ENGINE_PACKAGE} failed; is it installed in {script.modules} (npm install {ENGINE_PACKAGE})?\n"
            f"{completed.stderr}"
        )
    return [
        EngineDiff(
            action=item["action"],
            severity=Severity(item["type"]),
            path=tuple(item["path"]),
            before=item["before"],
            after=item["after"],
        )
        for item in json.loads(completed.stdout)["diffs"]
    ]


def _describe(
    diff: EngineDiff, severity: Severity, old: Mapping[str, Any], new: Mapping[str, Any]
) -> ContractChange:
    pointer = "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in diff.path)
    path = diff.path
    if len(path) >= 3 and path[0] == "paths" and path[2] in METHODS:
        operation = f"{path[2].upper()} {path[1]}"
        document = old if diff.action == "remove" else new
        where, rest = _part(path[3:], document.get("paths", {}).get(path[1], {}).get(path[2], {}))
    elif len(path) == 2 and path[0] == "paths":
        operation, where, rest = f"* {path[1]}", "path", ()
    else:
        operation, where, rest = None, "/".join(path), ()
    return ContractChange(
        severity=severity,
        operation=operation,
        where=where,
        change=_change(diff, rest),
        pointer=pointer,
    )


def _part(path: Sequence[str], operation: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """A reader's name for the part of an operation at ``path``, and the path left inside it."""
    if not path:
        return "operation", ()
    head, rest = path[0], tuple(path[1:])
    if head == "responses" and rest:
        status, inner = rest[0], rest[1:]
        if inner[:1] == ("content",) and len(inner) >= 3 and inner[2] == "schema":
            return _field(f"response {status} body", inner[3:])
        if inner[:1] == ("headers",) and len(inner) >= 2:
            return f"response {status} header {inner[1]}", inner[2:]
        return f"response {status}", inner
    if head == "requestBody":
        if rest[:1] == ("content",) and len(rest) >= 3 and rest[2] == "schema":
            return _field("request body", rest[3:])
        return "request body", rest
    if head == "parameters" and rest:
        parameters = operation.get("parameters", [])
        index = int(rest[0]) if rest[0].isdigit() else -1
        if 0 <= index < len(parameters):
            parameter = parameters[index]
            name = f"{parameter.get('in', '')} parameter {parameter.get('name', '?')}"
            if len(rest) == 1:
                name += " (required)" if parameter.get("required") else " (optional)"
            if rest[1:2] == ("schema",):
                return _field(name, rest[2:])
            return name, rest[1:]
        return "parameter", rest
    return head, rest


def _field(prefix: str, schema_path: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """``prefix: a.b[].c`` for a path through a schema's properties, and the keywords after the field."""
    names: list[str] = []
    rest = list(schema_path)
    while rest:
        if rest[0] == "properties" and len(rest) >= 3:
            names.append(rest[1])
            rest = rest[2:]
        elif rest[0] == "items" and len(rest) >= 2:
            names[-1:] = [f"{names[-1] if names else ''}[]"]
            rest = rest[1:]
        elif rest[0] in {"anyOf", "oneOf", "allOf"} and len(rest) >= 3:
            rest = rest[2:]
        else:
            break
    field = ".".join(names)
    return (f"{prefix}: {field}" if field else prefix), tuple(rest)


def _change(diff: EngineDiff, rest: Sequence[str]) -> str:
    verb = {"add": "added", "remove": "removed", "replace": "changed", "rename": "renamed"}[diff.action]
    if not rest:
        return verb
    if rest[0] == "properties" and len(rest) == 2:
        return f"field `{rest[1]}` {verb}"
    if tuple(rest) == ("required",):
        return "now required" if diff.after == "true" else "now optional"
    if rest[0] == "required" and diff.action in {"add", "remove"}:
        name = diff.after if diff.action == "add" else diff.before
        return f"`{_plain(name)}` {'now required' if diff.action == 'add' else 'no longer required'}"
    if rest[0] == "enum" and diff.action in {"add", "remove"}:
        value = diff.after if diff.action == "add" else diff.before
        return f"enum value {value} {verb}"
    keyword = "/".join(rest)
    if diff.action == "replace":
        return f"`{keyword}` {diff.before} → {diff.after}"
    value = diff.after if diff.action == "add" else diff.before
    return f"`{keyword}` {verb}" + (f": {value}" if value and len(value) <= 60 else "")


def _plain(value: str | None) -> str:
    if value is None:
        return "?"
    try:
        loaded = json.loads(value)
    except ValueError:
        return value
    return loaded if isinstance(loaded, str) else value
