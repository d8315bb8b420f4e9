"""cfn-lint (+ serverless rules) and checkov over every synthesized template: zero unacknowledged findings.

One scan covers the real templates and a copy of them with every acknowledgement stripped: the copy must
produce exactly the acknowledged findings, which proves the scanners really ran, that each
acknowledgement silences a real finding, and that none is stale.
"""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.support.cdk_synthesis import ENVIRONMENTS
from tools.scan import runner
from tools.scan.__main__ import main as scan_main
from tools.scan.__main__ import report
from tools.scan.findings import NO_TEMPLATE, TEMPLATE_WIDE, acknowledgements
from tools.scan.runner import DEFAULT_SCANNER_BIN, ScannerError, ScanResult, run_cfn_lint, scan, templates_in

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

    stages = {f"assembly-{prefix}{environment}" for environment in ENVIRONMENTS for prefix in ("", "ci-")}
    assert names == stages
    assert len(templates_in(baseline_assembly)) == 3 * len(ENVIRONMENTS)  # Stateful, Stateless, DeployRoles


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
    root = Path(__file__).resolve().parents[3]
    assert shutil.which("checkov", path=str(root / ".venv" / "bin")) is None
    assert (root / ".venv-scan" / "bin" / "checkov").is_file()


def stub_scanner(bin_dir: Path, name: str, *, exit_code: int, stdout: str = "") -> None:
    """An executable named like the scanner that prints ``stdout`` and exits ``exit_code``.

    It stands in for a scanner run that cannot be provoked on demand (a crash that prints nothing, a
    killed run); the real other scanner is linked beside it.
    """
    bin_dir.mkdir(exist_ok=True)
    for other in ("cfn-lint", "checkov"):
        if other != name and not (bin_dir / other).exists():
            (bin_dir / other).symlink_to(DEFAULT_SCANNER_BIN / other)
    script = bin_dir / name
    script.write_text(f"#!/bin/sh\nprintf '%s' {json.dumps(stdout)}\nexit {exit_code}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_a_real_cfn_lint_crash_fails_the_scan_with_its_traceback(
    baseline_assembly: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """cfn-lint exits 1, printing nothing on stdout, when it crashes: here on rules it cannot import."""
    monkeypatch.setattr(runner, "SERVERLESS_RULES", "no_such_rules_module")

    assert scan_main([str(baseline_assembly)]) == 2
    error = capsys.readouterr().err
    assert "cfn-lint exited 1 and crashed or was misconfigured" in error
    assert "No module named 'no_such_rules_module'" in error


@pytest.mark.parametrize(
    ("exit_code", "stdout"),
    [
        pytest.param(1, "", id="crash-exit-1-no-output"),
        pytest.param(0, "", id="success-code-no-output"),
        pytest.param(2, "", id="error-code-no-output"),
        pytest.param(2, "[]", id="error-code-no-match"),
        pytest.param(0, '[{"Rule": {"Id": "E3002"', id="truncated-output"),
        pytest.param(16, "[]", id="undocumented-code"),
    ],
)
def test_a_cfn_lint_run_that_did_not_complete_is_an_error_not_a_pass(
    baseline_assembly: Path, tmp_path: Path, exit_code: int, stdout: str
) -> None:
    """Stubbed cfn-lint runs (see stub_scanner): none of them may read as "no findings"."""
    stub_scanner(tmp_path / "bin", "cfn-lint", exit_code=exit_code, stdout=stdout)

    with pytest.raises(ScannerError, match=f"cfn-lint exited {exit_code} and .*scan aborted"):
        scan(templates_in(baseline_assembly), scanner_bin=tmp_path / "bin")


def test_a_checkov_crash_is_an_error_not_a_pass(baseline_assembly: Path, tmp_path: Path) -> None:
    """checkov exits 1 both on failed checks and on a crash (stubbed: exit 1, nothing printed)."""
    stub_scanner(tmp_path / "bin", "checkov", exit_code=1)

    with pytest.raises(ScannerError, match="checkov exited 1 and printed no JSON report"):
        scan(templates_in(baseline_assembly), scanner_bin=tmp_path / "bin")


def test_cfn_lint_findings_on_no_resource_or_no_template_are_reported(tmp_path: Path) -> None:
    """Real cfn-lint: a template that does not parse (E0000) and one that does not exist (E0003) have
    a null ``Location.Path``, the missing one a null ``Filename`` too."""
    unparsable = tmp_path / "Broken.template.json"
    unparsable.write_text('{"Resources": {')
    missing = tmp_path / "Missing.template.json"

    findings = [
        *run_cfn_lint([unparsable], DEFAULT_SCANNER_BIN),
        *run_cfn_lint([missing], DEFAULT_SCANNER_BIN),
    ]

    assert [(f.template, f.logical_id, f.rule) for f in findings] == [
        (unparsable, TEMPLATE_WIDE, "E0000"),
        (Path(NO_TEMPLATE), TEMPLATE_WIDE, "E0003"),
    ]
    assert str(missing) in findings[1].message
    result = ScanResult((unparsable,), tuple(findings), ())
    shown = report(result, relative_to=tmp_path)
    assert f"cfn-lint E0000 on Broken.template.json {TEMPLATE_WIDE}" in shown
    assert f"cfn-lint E0003 on {NO_TEMPLATE} {TEMPLATE_WIDE}" in shown
