"""``make diff``'s API section and gate: a breaking contract change fails the check unless labelled.

The stacks are the same synthesis on both sides, so the report's only change is the contract's: a branch
that removes a response field and one that adds an optional field, against the committed contract.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from serverless_fastapi_cdk.toolkit.stack_diff.__main__ import EXIT_BREAKING_API, main
from serverless_fastapi_cdk.toolkit.stack_diff.contract import BREAKING_API_LABEL
from tools.api_contract.documents import CONTRACT_FILE, ROOT


@pytest.fixture(scope="module")
def base_contract() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / CONTRACT_FILE).read_text())
    return document


def _write(document: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(document))
    return path


def run_cli(assembly: Path, old: Path, new: Path, markdown: Path, *extra: str) -> int:
    return main(
        [
            "--old-assembly", str(assembly), "--new-assembly", str(assembly), "--no-cdk-text",
            "--old-contract", str(old), "--new-contract", str(new), "--markdown", str(markdown), *extra,
        ]
    )  # fmt: skip


def test_a_removed_response_field_is_shown_first_and_fails_the_gate(
    baseline_assembly: Path, base_contract: dict[str, Any], tmp_path: Path
) -> None:
    branch = copy.deepcopy(base_contract)
    item = branch["components"]["schemas"]["Item"]
    del item["properties"]["description"]
    item["required"].remove("description")
    old, new = _write(base_contract, tmp_path / "old.json"), _write(branch, tmp_path / "new.json")
    markdown = tmp_path / "diff.md"

    assert run_cli(baseline_assembly, old, new, markdown, "--fail-on-danger") == 0
    assert run_cli(baseline_assembly, old, new, markdown, "--fail-on-breaking-api") == EXIT_BREAKING_API

    text = markdown.read_text()
    api = text.split("## API contract", 1)[1].split("## Summary", 1)[0]
    assert text.index("No danger") < text.index("## API contract") < text.index("## Summary")
    assert "⛔ **" in api
    assert BREAKING_API_LABEL in api
    assert "| `GET /items/{item_id}` | response 200 body | field `description` removed |" in api


def test_an_added_optional_field_passes_the_gate(
    baseline_assembly: Path, base_contract: dict[str, Any], tmp_path: Path
) -> None:
    branch = copy.deepcopy(base_contract)
    for schema in ("Item", "ItemWrite"):
        branch["components"]["schemas"][schema]["properties"]["colour"] = {"type": "string"}
    old, new = _write(base_contract, tmp_path / "old.json"), _write(branch, tmp_path / "new.json")
    markdown = tmp_path / "diff.md"

    assert run_cli(baseline_assembly, old, new, markdown, "--fail-on-breaking-api") == 0

    api = markdown.read_text().split("## API contract", 1)[1].split("## Summary", 1)[0]
    assert "No breaking change" in api
    assert "| non-breaking | `POST /items` | request body | field `colour` added |" in api


def test_without_a_base_contract_the_section_says_so(baseline_assembly: Path, tmp_path: Path) -> None:
    markdown = tmp_path / "diff.md"
    arguments = ["--old-assembly", str(baseline_assembly), "--new-assembly", str(baseline_assembly)]

    assert main([*arguments, "--no-cdk-text", "--markdown", str(markdown), "--fail-on-breaking-api"]) == 0

    assert "nothing to compare with" in markdown.read_text()
