"""Run cfn-lint and checkov from the scanner virtualenv over a set of templates."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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
    output = _run(
        scanner_bin / "cfn-lint",
        [*map(str, templates), "-a", SERVERLESS_RULES, "--format", "json"],
        ok_codes=range(0, 32),
    )
    return cfn_lint_findings(json.loads(output or "[]"))


def run_checkov(templates: Sequence[Path], scanner_bin: Path) -> list[Finding]:
    files = [argument for template in templates for argument in ("--file", str(template))]
    output = _run(
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
        ok_codes=(0, 1),
    )
    report = json.loads(output)
    # With nothing failed and --quiet, checkov prints an empty summary list.
    return checkov_findings(report) if report else []


def _run(executable: Path, arguments: list[str], *, ok_codes: Sequence[int]) -> str:
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
        raise ScannerError(
            f"{executable.name} exited {completed.returncode}:\n"
            f"{completed.stderr.strip() or completed.stdout.strip()}"
        )
    return completed.stdout
