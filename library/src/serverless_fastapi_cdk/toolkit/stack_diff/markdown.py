"""Render a diff report as Markdown for a pull-request comment, and as plain text for a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from serverless_fastapi_cdk.toolkit.stack_diff.analysis import DiffReport
from serverless_fastapi_cdk.toolkit.stack_diff.compare import ChangeKind, ResourceChange, StackDiff
from serverless_fastapi_cdk.toolkit.stack_diff.security import SecurityCategory
from serverless_fastapi_cdk.toolkit.stack_diff.values import short

MAX_PROPERTY_LINES = 15
MAX_CLI_TEXT = 6000


def render_markdown(report: DiffReport, *, api: str = "") -> str:
    """The report; ``api``, the API contract's section, follows the danger section."""
    return "\n".join(_document(report, escape=_escape, api=api)) + "\n"


def render_text(report: DiffReport, *, api: str = "") -> str:
    """The same document for a terminal: prose unescaped, without the HTML folding tags."""
    lines = _document(report, escape=str, api=api)
    return "\n".join(line for line in lines if not line.startswith(("<details>", "</details>"))) + "\n"


def _document(report: DiffReport, *, escape: Callable[[str], str], api: str) -> Iterator[str]:
    yield f"# Stack diff: `{report.base}` → `{report.head}`"
    yield ""
    yield from _danger_section(report, escape)
    if api:
        yield from api.rstrip("\n").split("\n")
        yield ""
    yield from _summary_section(report)
    yield from _security_section(report, escape)
    yield from _changes_section(report)


def _danger_section(report: DiffReport, escape: Callable[[str], str]) -> Iterator[str]:
    if not report.dangers:
        yield (
            "✅ **No danger:** no stateful resource (table, user pool, secret, log group, key, topic, queue, "
            "bucket…) is replaced, deleted, orphaned or renamed."
        )
        yield ""
        return
    yield f"## ⛔ DANGER: {len(report.dangers)} change(s) put stateful data at risk"
    yield ""
    yield "| stack | resource | type | risk | what happens |"
    yield "| --- | --- | --- | --- | --- |"
    for danger in report.dangers:
        yield (
            f"| {danger.stack} | `{danger.logical_id}` | {danger.resource_type} | **{danger.kind}** | "
            f"{escape(danger.detail)} |"
        )
    yield ""


def _summary_section(report: DiffReport) -> Iterator[str]:
    yield "## Summary"
    yield ""
    yield "| stack | added | removed | changed | security | danger |"
    yield "| --- | ---: | ---: | ---: | ---: | ---: |"
    totals = [0, 0, 0, 0, 0]
    for stack in report.stacks:
        row = [
            len(stack.of_kind(ChangeKind.ADDED)),
            len(stack.of_kind(ChangeKind.REMOVED)),
            len(stack.of_kind(ChangeKind.CHANGED)),
            sum(1 for item in report.security if item.stack == stack.name),
            sum(1 for item in report.dangers if item.stack == stack.name),
        ]
        totals = [total + value for total, value in zip(totals, row, strict=True)]
        yield f"| {_stack_label(stack)} | " + " | ".join(str(value) for value in row) + " |"
    yield "| **total** | " + " | ".join(f"**{value}**" for value in totals) + " |"
    yield ""


def _security_section(report: DiffReport, escape: Callable[[str], str]) -> Iterator[str]:
    yield "## Security"
    yield ""
    if report.permissions_broadened:
        stacks = ", ".join(report.permissions_broadened)
        yield (
            f"⚠️ **Permissions broaden** (IAM or security groups, as `cdk diff` judges them) in: {stacks}; "
            "`cdk deploy --require-approval broadening` (prod, run by a person) asks before deploying"
        )
        yield ""
    if not report.security:
        yield "No IAM, authorizer, resource-policy or public-exposure change."
        yield ""
        return
    for category in SecurityCategory:
        items = [item for item in report.security if item.category is category]
        if not items:
            continue
        marker = "⚠️ " if category is SecurityCategory.PUBLIC else ""
        yield f"### {marker}{category} ({len(items)})"
        yield ""
        for item in items:
            yield f"- {item.stack} `{item.logical_id}` ({item.resource_type}): {escape(item.summary)}"
        yield ""


def _changes_section(report: DiffReport) -> Iterator[str]:
    yield "## Changes by environment"
    yield ""
    changed = report.changed_stacks
    unchanged = [stack.name for stack in report.stacks if not stack.has_changes]
    if not changed:
        yield "No stack changes."
        yield ""
    environments = sorted({stack.environment for stack in changed})
    for environment in environments:
        yield f"### {environment or '(no stage)'}"
        yield ""
        for stack in changed:
            if stack.environment == environment:
                yield from _stack_section(report, stack)
    if unchanged:
        yield f"Unchanged: {', '.join(unchanged)}"
        yield ""


def _stack_section(report: DiffReport, stack: StackDiff) -> Iterator[str]:
    yield f"#### {_stack_label(stack)}"
    yield ""
    for kind in ChangeKind:
        resources = stack.of_kind(kind)
        if resources:
            yield f"**{kind.capitalize()} ({len(resources)})**"
            yield ""
            for resource in resources:
                yield from _resource_lines(resource)
            yield ""
    if stack.other_sections:
        paths = ", ".join(f"`{change.path}`" for change in stack.other_sections)
        yield f"**Outputs, parameters, conditions changed:** {paths}"
        yield ""
    text = report.cli_text.get(stack.name)
    if text:
        if len(text) > MAX_CLI_TEXT:
            text = text[:MAX_CLI_TEXT] + "\n… (cut; run `make diff` locally for the whole output)"
        yield "<details><summary>cdk diff</summary>"
        yield ""
        yield "```"
        yield text
        yield "```"
        yield "</details>"
        yield ""


def _resource_lines(resource: ResourceChange) -> Iterator[str]:
    yield f"- `{resource.logical_id}` {resource.resource_type} — `{resource.construct_path}`"
    for prop in resource.changes[:MAX_PROPERTY_LINES]:
        yield f"  - `{prop.path}`: {_inline(short(prop.old, 80))} → {_inline(short(prop.new, 80))}"
    hidden = len(resource.changes) - MAX_PROPERTY_LINES
    if hidden > 0:
        yield f"  - … and {hidden} more"


def _stack_label(stack: StackDiff) -> str:
    if not stack.exists_before:
        return f"{stack.name} (new stack)"
    if not stack.exists_after:
        return f"{stack.name} (removed stack)"
    return stack.name


def _inline(text: str) -> str:
    """Code-format a value so Markdown leaves ``*``, ``_`` and ``|`` alone."""
    return f"`{text.replace('`', "'")}`"


def _escape(text: str) -> str:
    """Prose that may hold ``*`` (IAM wildcards), ``_`` or ``|``: shown literally, also in table cells."""
    for special in ("\\", "*", "_", "|", "<"):
        text = text.replace(special, "\\" + special)
    return text
