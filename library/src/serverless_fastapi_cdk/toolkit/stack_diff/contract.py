"""The API contract's part of ``diff``: the base's committed OpenAPI document against the working tree's.

A service that commits its contract names the file in ``[tool.sfcdk] contract``; a test of the service
keeps that file what the code serves, so the base's committed file is what the base serves. Either side
can be given as a file instead (``--old-contract``, ``--new-contract``: a pull request's gate compares
two checkouts' files). The comparison itself is :mod:`serverless_fastapi_cdk.toolkit.contract_diff`'s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serverless_fastapi_cdk.toolkit.contract_diff import ContractDiff, compare, render_markdown
from serverless_fastapi_cdk.toolkit.stack_diff.synth import SynthError, git

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
                "No contract at the base: nothing to compare with.\n"
            )
        return render_markdown(self.diff, base=self.base, head=self.head, gate=GATE)


def contract_report(
    root: Path,
    *,
    contract_file: Path | None,
    ref: str | None,
    base_label: str,
    old_file: Path | None,
    new_file: Path | None,
) -> ContractReport | None:
    """``old_file``'s contract, else ``contract_file`` at ``ref``, against ``new_file``'s or the working
    tree's ``contract_file``; None when there is no new side (no contract named, no file given)."""
    new: dict[str, Any]
    if new_file is not None:
        new, head = json.loads(new_file.read_text()), str(new_file)
    elif contract_file is not None:
        new, head = json.loads((root / contract_file).read_text()), f"working tree:{contract_file}"
    else:
        return None
    old: dict[str, Any] | None
    if old_file is not None:
        old, base = json.loads(old_file.read_text()), str(old_file)
    elif ref is not None and contract_file is not None:
        old, base = committed_contract(root, ref, contract_file), f"{base_label}:{contract_file}"
    else:
        old, base = None, "no base contract (--old-contract)"
    return ContractReport(base=base, head=head, diff=None if old is None else compare(old, new, project=root))


def committed_contract(root: Path, ref: str, contract_file: Path) -> dict[str, Any] | None:
    """The contract committed at ``ref``, or None when it has none."""
    try:
        text = git(root, "show", f"{ref}:{contract_file.as_posix()}")
    except SynthError:
        return None
    document: dict[str, Any] = json.loads(text)
    return document
