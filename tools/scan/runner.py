"""Run cfn-lint and checkov from the scanner virtualenv over a set of templates."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.scan.findings import (
    Acknowledgement,
    Finding,
    acknowledgements,
    cfn_lint_findings,
    checkov_findings,
)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCANNER_BIN = ROOT / ".venv-scan" / "bin"
SERVERLESS_RULES = "cfn_lint_serverless.rules"
OFFLINE_ENV = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE", "NO_COLOR": "1"}
"""checkov asks no server anything (no platform mappings, no new-version check; ``--skip-download``
does the rest) and prints no colour codes."""

CFN_LINT_FINDING_CODES = frozenset({0, 2, 4, 6, 8, 10, 12, 14})
"""cfn-lint's documented exit codes: 0 (no match) or the bitwise OR of 2 (error), 4 (warning) and
8 (informational) matches. Any other code, 1 above all (a crash, a bad option or configuration), means
cfn-lint did not lint."""

CHECKOV_FINDING_CODES = frozenset({0, 1})
"""checkov exits 1 on failed checks, and also when it crashes: its JSON report tells the two apart."""


class ScannerError(RuntimeError):
    """A scanner is missing or crashed (as opposed to reporting findings)."""


@dataclass(frozen=True)
class ScanResult:
    templates: tuple[Path, ...]
    findings: tuple[Finding, ...]
    acknowledgements: tuple[Acknowledgement, ...]

    @property
    def unexplained(self) -> list[Acknowledgement]:
        """Acknowledgements without a reason: they count as failures too."""
        return [ack for ack in self.acknowledgements if not ack.reason.strip()]

    @property
    def passed(self) -> bool:
        return not self.findings and not self.unexplained


def templates_in(assembly: Path) -> list[Path]:
    """Every stack template of a cloud assembly, nested stage assemblies included."""
    return sorted(assembly.resolve().rglob("*.template.json"))


def scan(templates: Sequence[Path], *, scanner_bin: Path = DEFAULT_SCANNER_BIN) -> ScanResult:
    if not templates:
        raise ScannerError("no templates to scan: synthesize first (make synth)")
    findings = [*run_cfn_lint(templates, scanner_bin), *run_checkov(templates, scanner_bin)]
    acks = [ack for template in templates for ack in acknowledgements(template)]
    return ScanResult(tuple(templates), tuple(sorted(findings)), tuple(acks))


def run_cfn_lint(templates: Sequence[Path], scanner_bin: Path) -> list[Finding]:
    # The templates come before `-a`: it takes several values and would swallow them.
    completed = _run(
        scanner_bin / "cfn-lint",
        [*map(str, templates), "-a", SERVERLESS_RULES, "--format", "json"],
        ok_codes=CFN_LINT_FINDING_CODES,
    )
    # The JSON formatter prints a list even when nothing matched (`[]`); a findings exit code with no
    # match printed is a run that did not complete.
    report = _json_report(completed)
    if not isinstance(report, list) or (completed.returncode and not report):
        raise ScannerError(
            _failure(completed, "did not print the JSON list of matches its exit code announces")
        )
    return cfn_lint_findings(report)


def run_checkov(templates: Sequence[Path], scanner_bin: Path) -> list[Finding]:
    files = [argument for template in templates for argument in ("--file", str(template))]
    completed = _run(
        scanner_bin / "checkov",
        [
            "--framework",
            "cloudformation",
            *files,
            "--output",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
        ],
        ok_codes=CHECKOV_FINDING_CODES,
    )
    report = _json_report(completed)
    if not isinstance(report, dict | list):
        raise ScannerError(_failure(completed, "printed no JSON report"))
    # With nothing failed and --quiet, checkov prints an empty summary list.
    return checkov_findings(report) if report else []


def _run(
    executable: Path, arguments: list[str], *, ok_codes: Collection[int]
) -> subprocess.CompletedProcess[str]:
    if not executable.is_file():
        raise ScannerError(
            f"{executable} is missing: `make scan-setup` creates the scanner venv "
            "(.venv-scan/) from tools/scan/requirements.txt"
        )
    completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [str(executable), *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, **OFFLINE_ENV},
        check=False,
        timeout=600,
    )
    if completed.returncode not in ok_codes:
        raise ScannerError(_failure(completed, "crashed or was misconfigured (not a findings exit code)"))
    return completed


def _json_report(completed: subprocess.CompletedProcess[str]) -> Any:
    """The scanner's JSON report; empty or partial output is a failed run, never "no findings"."""
    try:
        return json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise ScannerError(_failure(completed, "printed no JSON report")) from None


def _failure(completed: subprocess.CompletedProcess[str], what: str) -> str:
    name = Path(completed.args[0]).name
    output = completed.stderr.strip() or completed.stdout.strip() or "(no output)"
    return f"{name} exited {completed.returncode} and {what}; scan aborted:\n{output}"
