"""The API contract's part of ``make diff``: the base's committed contract against the working tree's.

The base's side is the contract committed at the base ref (``docs/api/openapi.json``; a test keeps that
file current on every commit, so it is what the base serves); the working tree's side is built from the
code as it is now, so an uncommitted or stale file cannot hide a change. The comparison itself is
:mod:`tools.contract_diff`'s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.api_contract.documents import CONTRACT_FILE, contract, stage_documents
from tools.contract_diff import ContractDiff, compare, render_markdown
from tools.stack_diff.synth import SynthError, git

BREAKING_API_LABEL = "allow-breaking-api"
"""The pull-request label that lets a breaking change of the contract pass the check."""
GATE = f"The check fails unless the pull request has the `{BREAKING_API_LABEL}` label."


@dataclass(frozen=True)
class ContractReport:
    base: str
    head: str
    diff: ContractDiff | None
    """None when the base has no contract to compare with."""

    @property
    def breaking(self) -> bool:
        return self.diff is not None and bool(self.diff.breaking)

    def markdown(self) -> str:
        if self.diff is None:
            return (
                f"## API contract: `{self.base}` → `{self.head}`\n\n"
                f"No contract at the base (`{CONTRACT_FILE}` absent): nothing to compare with.\n"
            )
        return render_markdown(self.diff, base=self.base, head=self.head, gate=GATE)


def contract_report(
    root: Path, *, ref: str | None, base_label: str, old_file: Path | None, new_file: Path | None
) -> ContractReport:
    """``old_file``'s contract, else ``ref``'s, against ``new_file``'s or the working tree's."""
    old: dict[str, Any] | None
    if old_file is not None:
        old, base = json.loads(old_file.read_text()), str(old_file)
    elif ref is not None:
        old, base = committed_contract(root, ref), f"{base_label}:{CONTRACT_FILE}"
    else:
        old, base = None, "no base contract (--old-contract)"
    if new_file is not None:
        new, head = json.loads(new_file.read_text()), str(new_file)
    else:
        new, head = contract(stage_documents()), "working tree"
    return ContractReport(base=base, head=head, diff=None if old is None else compare(old, new))


def committed_contract(root: Path, ref: str) -> dict[str, Any] | None:
    """The contract committed at ``ref``, or None when it has none."""
    try:
        text = git(root, "show", f"{ref}:{CONTRACT_FILE}")
    except SynthError:
        return None
    document: dict[str, Any] = json.loads(text)
    return document
