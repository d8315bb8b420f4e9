"""Findings and acknowledgements, read from the scanners' JSON output and from the templates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEMPLATE_WIDE = "(template)"
"""Where a finding that concerns no single resource is reported."""
NO_TEMPLATE = "(no template)"


@dataclass(frozen=True, order=True)
class Finding:
    """An unacknowledged finding: which scanner, which rule, where."""

    template: Path
    logical_id: str
    scanner: str
    rule: str
    message: str


@dataclass(frozen=True, order=True)
class Acknowledgement:
    """A finding a resource deliberately accepts; ``reason`` is empty when none was given."""

    template: Path
    logical_id: str
    resource_type: str
    scanner: str
    rule: str
    reason: str


def cfn_lint_findings(report: list[dict[str, Any]]) -> list[Finding]:
    """Findings from ``cfn-lint --format json``.

    A match on no resource (outside ``Resources``, or a template that does not parse: its ``Path`` is
    null) is reported on ``(template)``; one on no template (E0003, e.g. a template path that does not
    exist: its ``Filename`` is null too) on the file ``(no template)``, its message naming the path.
    """
    findings = []
    for match in report:
        path = match["Location"].get("Path") or []
        logical_id = path[1] if len(path) > 1 and path[0] == "Resources" else TEMPLATE_WIDE
        template = Path(match.get("Filename") or NO_TEMPLATE)
        findings.append(Finding(template, logical_id, "cfn-lint", match["Rule"]["Id"], match["Message"]))
    return sorted(findings)


def checkov_findings(report: dict[str, Any] | list[dict[str, Any]]) -> list[Finding]:
    """Failed checks from ``checkov --output json`` (one report, or one per framework)."""
    reports = report if isinstance(report, list) else [report]
    findings = [
        Finding(
            Path(check["file_abs_path"]),
            check["resource"].rsplit(".", 1)[-1],
            "checkov",
            check["check_id"],
            check["check_name"],
        )
        for result in reports
        for check in result.get("results", {}).get("failed_checks", [])
    ]
    return sorted(findings)


def acknowledgements(template: Path) -> list[Acknowledgement]:
    """Every scanner acknowledgement recorded in the resources' Metadata of ``template``."""
    found = []
    for logical_id, resource in json.loads(template.read_text()).get("Resources", {}).items():
        metadata = resource.get("Metadata", {})
        resource_type = resource.get("Type", "?")
        for skip in metadata.get("checkov", {}).get("skip", []):
            found.append(
                Acknowledgement(
                    template,
                    logical_id,
                    resource_type,
                    "checkov",
                    skip.get("id", "?"),
                    skip.get("comment", ""),
                )
            )
        cfn_lint = metadata.get("cfn-lint", {})
        reasons = cfn_lint.get("reasons", {})
        for rule in cfn_lint.get("config", {}).get("ignore_checks", []):
            found.append(
                Acknowledgement(template, logical_id, resource_type, "cfn-lint", rule, reasons.get(rule, ""))
            )
    return sorted(found)
