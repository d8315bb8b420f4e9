"""The CDK CLI's own diff of one stack against a template file: offline, no credentials, no notices."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from serverless_fastapi_cdk.toolkit.stack_diff.assembly import Template
from serverless_fastapi_cdk.toolkit.toolchain import Toolchain

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def cli_diff_text(toolchain: Toolchain, assembly: Path, stack: str, old_template: Template | None) -> str:
    """The CLI's rendering of ``stack`` in ``assembly`` against ``old_template`` (empty for a new stack)."""
    with tempfile.TemporaryDirectory(prefix="stack-diff-") as scratch:
        template_file = Path(scratch) / "old.template.json"
        template_file.write_text(json.dumps(old_template or {}))
        completed = toolchain.run(
            [
                "diff",
                "--app",
                str(assembly.resolve()),
                "--template",
                str(template_file),
                "--exclusively",
                "--no-notices",
                "--no-color",
                "--context-lines",
                "1",
                stack,
            ],
            cwd=Path(scratch),
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
