"""cfn-lint (+ serverless rules) and checkov over every synthesized template: zero unacknowledged findings.

One scan covers the real templates and a copy of them with every acknowledgement stripped: the copy must
produce exactly the acknowledged findings, which proves the scanners really ran, that each
acknowledgement silences a real finding, and that none is stale.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.cdk_synthesis import ENVIRONMENTS
from tools.scan.__main__ import main as scan_main
from tools.scan.__main__ import report
from tools.scan.findings import acknowledgements
from tools.scan.runner import ScanResult, scan, templates_in

SCANNER_METADATA = ("checkov", "cfn-lint")


def strip_acknowledgements(template: dict[str, Any]) -> dict[str, Any]:
    for resource in template.get("Resources", {}).values():
        metadata = resource.get("Metadata", {})
        for key in SCANNER_METADATA:
            metadata.pop(key, None)
    return template


@pytest.fixture(scope="session")
def scanned(baseline_assembly: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[ScanResult, Path]:
    """One scan of the real templates plus their stripped copies (under ``<tmp>/stripped``)."""
    stripped = tmp_path_factory.mktemp("stripped")
    for template in templates_in(baseline_assembly):
        copy = stripped / template.relative_to(baseline_assembly)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(json.dumps(strip_acknowledgements(json.loads(template.read_text()))))
    return scan([*templates_in(baseline_assembly), *templates_in(stripped)]), stripped


def test_every_synthesized_template_is_scanned(baseline_assembly: Path) -> None:
    names = {template.parent.name for template in templates_in(baseline_assembly)}

    assert names == {f"assembly-{environment}" for environment in ENVIRONMENTS}
    assert len(templates_in(baseline_assembly)) == 2 * len(ENVIRONMENTS)


def test_no_unacknowledged_finding_and_every_acknowledgement_has_a_reason(
    scanned: tuple[ScanResult, Path], baseline_assembly: Path
) -> None:
    result, stripped = scanned
    real = [finding for finding in result.findings if not finding.template.is_relative_to(stripped)]

    assert real == [], report(ScanResult(result.templates, tuple(real), ()), relative_to=baseline_assembly)
    assert result.acknowledgements, "the real templates acknowledge findings, so some must be listed"
    assert result.unexplained == []


def test_each_acknowledgement_silences_a_real_finding(
    scanned: tuple[ScanResult, Path], baseline_assembly: Path
) -> None:
    result, stripped = scanned
    found_without_acknowledgements = {
        (finding.template.relative_to(stripped), finding.logical_id, finding.scanner, finding.rule)
        for finding in result.findings
        if finding.template.is_relative_to(stripped)
    }
    acknowledged = {
        (ack.template.relative_to(baseline_assembly), ack.logical_id, ack.scanner, ack.rule)
        for ack in result.acknowledgements
    }

    assert found_without_acknowledgements == acknowledged


def test_an_acknowledgement_without_reason_fails_the_scan(tmp_path: Path) -> None:
    template = tmp_path / "Stack.template.json"
    template.write_text(
        json.dumps(
            {
                "Resources": {
                    "Fn": {
                        "Type": "AWS::Lambda::Function",
                        "Metadata": {
                            "checkov": {"skip": [{"id": "CKV_AWS_116"}]},
                            "cfn-lint": {"config": {"ignore_checks": ["W3005"]}, "reasons": {"W3005": "why"}},
                        },
                    }
                }
            }
        )
    )
    acks = acknowledgements(template)

    assert [(ack.scanner, ack.rule, ack.reason) for ack in acks] == [
        ("cfn-lint", "W3005", "why"),
        ("checkov", "CKV_AWS_116", ""),
    ]
    result = ScanResult((template,), (), tuple(acks))
    assert not result.passed
    assert "NO REASON GIVEN" in report(result, relative_to=tmp_path)


def test_a_missing_scanner_venv_is_explained(
    baseline_assembly: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()

    assert scan_main([str(baseline_assembly), "--scanner-bin", str(empty_bin)]) == 2
    assert "make scan-setup" in capsys.readouterr().err


def test_the_scanner_venv_is_separate_from_the_project_venv() -> None:
    """checkov and cfn-lint come from .venv-scan, never from the project's own environment."""
    root = Path(__file__).resolve().parents[2]
    assert shutil.which("checkov", path=str(root / ".venv" / "bin")) is None
    assert (root / ".venv-scan" / "bin" / "checkov").is_file()
