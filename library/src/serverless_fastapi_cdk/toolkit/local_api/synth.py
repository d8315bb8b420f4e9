"""Synthesize the CDK app for local serving: the app's own CLI, its layers built for this machine.

``cdk synth -c layer_platform=host`` runs the same app and the same layer bundler as a deployment,
with wheels for the host's platform instead of Lambda's (the library's ``DependencyLayer`` reads that
context through the app), into an output folder of its own so the deployable ``cdk.out/`` is never
replaced by a host-platform build.
"""

from __future__ import annotations

from pathlib import Path

from serverless_fastapi_cdk.toolkit.toolchain import PrerequisiteError, Toolchain

__all__ = ["LAYER_PLATFORM_CONTEXT", "PrerequisiteError", "synthesize"]

LAYER_PLATFORM_CONTEXT = "layer_platform=host"
"""The CDK context that selects host-platform wheels for the dependency layers."""


def synthesize(
    project: Path, outdir: Path, stage: str, *, toolchain: Toolchain | None = None, app: str | None = None
) -> None:
    """Synthesize the app of ``project`` into ``outdir``; :class:`RuntimeError` with the CLI's output when
    it fails. ``stage`` names the stage the emulator serves (``""``: the stacks at the top of the app);
    ``app`` replaces ``cdk.json``'s app command."""
    toolchain = toolchain or Toolchain.find(project)
    arguments = [
        "synth",
        "--quiet",
        "--no-notices",
        "--output",
        str(outdir),
        "--context",
        LAYER_PLATFORM_CONTEXT,
    ]
    if app is not None:
        arguments += ["--app", app]
    if stage:
        arguments.append(f"{stage}/*")
    result = toolchain.run(arguments, cwd=project)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()
        raise RuntimeError("cdk synth failed:\n" + "\n".join(output[-40:]))
