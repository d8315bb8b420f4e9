"""A contract diff as a Markdown section of a review: breaking changes first, then the rest."""

from __future__ import annotations

from collections.abc import Iterator

from serverless_fastapi_cdk.toolkit.contract_diff.classify import ContractChange, ContractDiff, Severity

MAX_OTHER_ROWS = 60
"""Rows of non-breaking changes shown; the breaking ones are always all shown."""
_MARKERS = {Severity.DEPRECATED: "⚠️ ", Severity.UNCLASSIFIED: "❔ "}


def render_markdown(diff: ContractDiff, *, base: str, head: str, gate: str = "") -> str:
    """The section, titled ``API contract: base → head``; ``gate`` says what a breaking change does."""
    return "\n".join(_section(diff, base=base, head=head, gate=gate)) + "\n"


def _section(diff: ContractDiff, *, base: str, head: str, gate: str) -> Iterator[str]:
    yield f"## API contract: `{base}` → `{head}`"
    yield ""
    breaking = diff.breaking
    if breaking:
        yield (
            f"⛔ **{len(breaking)} breaking change(s)**: a client written against the base's contract may "
            f"fail against this one. {gate}".rstrip()
        )
        yield ""
        yield f"### ⛔ Breaking ({len(breaking)})"
        yield ""
        yield from _table(breaking)
    elif diff.changes:
        yield "✅ **No breaking change** to the API contract."
        yield ""
    else:
        yield "✅ **No change** to the API contract."
        yield ""
        return
    others = [change for change in diff.changes if change.severity is not Severity.BREAKING]
    if others:
        yield f"### Other changes ({len(others)})"
        yield ""
        yield from _table(others[:MAX_OTHER_ROWS], with_class=True)
        if len(others) > MAX_OTHER_ROWS:
            yield f"… and {len(others) - MAX_OTHER_ROWS} more: run `make diff` for the whole list."
            yield ""


def _table(
    changes: tuple[ContractChange, ...] | list[ContractChange], *, with_class: bool = False
) -> Iterator[str]:
    yield ("| class " if with_class else "") + "| operation | where | change |"
    yield ("| --- " if with_class else "") + "| --- | --- | --- |"
    for change in changes:
        first = f"| {_MARKERS.get(change.severity, '')}{change.severity} " if with_class else ""
        operation = f"`{change.operation}`" if change.operation else "(document)"
        yield f"{first}| {operation} | {_cell(change.where)} | {_cell(change.change)} |"
    yield ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
