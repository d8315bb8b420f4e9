"""The CDK CLI's own diff of one stack against a template file: offline, no credentials, no notices."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from tools.stack_diff.assembly import Template

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
CLI_ENV = {
    "CDK_DISABLE_CLI_TELEMETRY": "true",
    "AWS_EC2_METADATA_DISABLED": "true",
    "CI": "true",
}
"""No telemetry, no instance-metadata probe for credentials, no interactive output."""


def cli_diff_text(cdk: Path, assembly: Path, stack: str, old_template: Template | None) -> str:
    """The CLI's rendering of ``stack`` in ``assembly`` against ``old_template`` (empty for a new stack)."""
    with tempfile.TemporaryDirectory(prefix="stack-diff-") as scratch:
        template_file = Path(scratch) / "old.template.json"
        template_file.write_text(json.dumps(old_template or {}))
        completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [
                str(cdk),
                "diff",
                "--app",
                str(assembly),
                "--template",
                str(template_file),
                "--exclusively",
                "--no-notices",
                "--no-color",
                "--context-lines",
                "1",
                stack,
            ],
            capture_output=True,
            text=True,
            env={**os.environ, **CLI_ENV},
            cwd=scratch,
            check=False,
            timeout=300,
        )
    output = ANSI_ESCAPE.sub("", completed.stdout + completed.stderr)
    if completed.returncode not in (0, 1):
        return f"(cdk diff failed with exit code {completed.returncode})\n{output.strip()}"
    return _trim(output)


def _trim(output: str) -> str:
    """Drop the CLI's framing lines (stack banner, counts, hints) and keep the diff body."""
    kept = [
        line
        for line in output.splitlines()
        if line.strip()
        and not line.startswith(("Stack ", "✨", "Number of stacks"))
        and "feature flags" not in line
    ]
    return "\n".join(kept)
