"""Command line: ``python -m tools.scan [ASSEMBLY]`` (``make scan``); exit 1 on any unacknowledged finding."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tools.scan.runner import DEFAULT_SCANNER_BIN, ROOT, ScannerError, ScanResult, scan, templates_in


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.scan", description=__doc__)
    parser.add_argument(
        "assembly", nargs="?", type=Path, default=ROOT / "cdk.out", help="synthesized assembly"
    )
    parser.add_argument("--scanner-bin", type=Path, default=DEFAULT_SCANNER_BIN, help="scanner venv's bin/")
    args = parser.parse_args(argv)
    try:
        result = scan(templates_in(args.assembly), scanner_bin=args.scanner_bin)
    except ScannerError as error:
        print(f"scan: {error}", file=sys.stderr)
        return 2
    print(report(result, relative_to=args.assembly.resolve()))
    return 0 if result.passed else 1


def report(result: ScanResult, *, relative_to: Path) -> str:
    """Acknowledgements (with their reasons), then every unacknowledged finding."""
    lines = [f"Scanned {len(result.templates)} templates with cfn-lint (+ serverless rules) and checkov."]
    lines.append(f"Acknowledged findings ({len(result.acknowledgements)}):")
    for ack in result.acknowledgements:
        where = f"{_shown(ack.template, relative_to)} {ack.logical_id} ({ack.resource_type})"
        lines.append(f"  {ack.scanner} {ack.rule} on {where}: {ack.reason or 'NO REASON GIVEN'}")
    if result.findings or result.unexplained:
        lines.append(
            f"FAILED: {len(result.findings)} unacknowledged finding(s), {len(result.unexplained)} "
            "acknowledgement(s) without a reason:"
        )
        for finding in result.findings:
            where = f"{_shown(finding.template, relative_to)} {finding.logical_id}"
            lines.append(f"  {finding.scanner} {finding.rule} on {where}: {finding.message}")
    else:
        lines.append("No unacknowledged finding.")
    return "\n".join(lines)


def _shown(template: Path, relative_to: Path) -> Path:
    """``template`` relative to the assembly when it lies inside it, else as the scanner named it."""
    return template.relative_to(relative_to) if template.is_relative_to(relative_to) else template


if __name__ == "__main__":
    sys.exit(main())
