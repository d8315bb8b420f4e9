"""Synthesize the CDK app for local serving: the project's own CLI, the layer built for this machine.

``cdk synth -c layer_platform=host`` runs the same app and the same layer bundler as a deployment,
with wheels for the host's platform instead of Lambda's, into an output folder of its own so the
deployable ``cdk.out/`` is never replaced by a host-platform build.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

LAYER_PLATFORM_CONTEXT = "layer_platform=host"
"""The CDK context that selects host-platform wheels (``serverless_fastapi_cdk.dependency_layer``)."""


class PrerequisiteError(RuntimeError):
    """Something the emulator needs is missing; the message says how to get it."""


def cdk_cli(project_root: Path) -> Path:
    """The project's pinned CDK CLI, installed by ``make setup``."""
    cli = project_root / "node_modules" / ".bin" / "cdk"
    if not cli.exists():
        raise PrerequisiteError(f"the CDK CLI is not installed ({cli} is missing): run `make setup`")
    return cli


def synthesize(project_root: Path, outdir: Path, stage: str) -> None:
    """Synthesize ``stage`` into ``outdir``; :class:`RuntimeError` with the CLI's output when it fails."""
    node_bin = project_root / "node_modules" / ".bin"
    command = [
        str(cdk_cli(project_root)),
        "synth",
        "--quiet",
        "--output",
        str(outdir),
        "--context",
        LAYER_PLATFORM_CONTEXT,
        f"{stage}/*",
    ]
    environment = os.environ | {
        "JSII_NODE": str(node_bin / "node"),
        "PATH": f"{node_bin}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    result = subprocess.run(  # noqa: S603 (fixed argv, no shell)
        command, cwd=project_root, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()
        raise RuntimeError("cdk synth failed:\n" + "\n".join(output[-40:]))
