"""Synthesize a checkout into a cloud assembly, and check out a git ref in a temporary worktree.

Both use the main checkout's toolchain (its ``.venv``, ``node_modules`` and the CDK CLI found for it) and
its layer cache: a worktree gets symlinks to them instead of a second install and a second layer build.
Synthesis runs the CLI offline: no credentials, no notices, no telemetry, no instance-metadata probe.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from serverless_fastapi_cdk.toolkit.toolchain import Toolchain

SHARED_WITH_WORKTREES = (".venv", "node_modules", "build/layers")
"""The toolchain, and the layer cache (keyed by the hash of the layer's inputs, so safe to share)."""


class SynthError(RuntimeError):
    """Synthesis or the git plumbing around it failed; the message carries the tool's output."""


class NoAppError(SynthError):
    """The checkout has no ``cdk.json``: it predates the CDK app."""


def synthesize(
    checkout: Path, outdir: Path, *, toolchain: Toolchain, project: Path, app: str | None = None
) -> Path:
    """Run ``cdk synth`` for the app in ``checkout`` into ``outdir`` with ``toolchain``; the Python of
    ``project``'s ``.venv`` (when it has one) comes first on ``PATH``."""
    if not (checkout / "cdk.json").is_file():
        raise NoAppError(f"{checkout} has no cdk.json: nothing to synthesize")
    arguments = ["synth", "--quiet", "--no-notices", "--output", str(outdir.resolve())]
    if app is not None:
        arguments += ["--app", app]
    venv_bin = project / ".venv" / "bin"
    completed = toolchain.run(arguments, cwd=checkout, extra_path=[venv_bin] if venv_bin.is_dir() else [])
    if completed.returncode != 0:
        raise SynthError(f"cdk synth failed in {checkout}:\n{completed.stdout}{completed.stderr}".rstrip())
    return outdir


def git(repo: Path, *args: str) -> str:
    completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        ["git", *args],  # noqa: S607 - git from PATH, like every developer's shell
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SynthError(f"git {' '.join(args)} failed: {completed.stderr.strip()}")
    return completed.stdout.strip()


def default_base(repo: Path, branch: str = "main") -> str:
    """The merge base of HEAD with ``branch`` (or ``origin/<branch>``); on that branch, HEAD."""
    for main in (branch, f"origin/{branch}"):
        try:
            return git(repo, "merge-base", "HEAD", main)
        except SynthError:
            continue
    return git(repo, "rev-parse", "HEAD")


def describe(repo: Path, ref: str | None, branch: str = "main") -> str:
    """``<ref> (<short sha>)`` for the report's title; ``None`` is the default base."""
    sha = git(repo, "rev-parse", "--short", f"{ref or default_base(repo, branch)}^{{commit}}")
    return f"{ref or f'merge base with {branch}'} ({sha})"


@contextmanager
def worktree(repo: Path, ref: str) -> Iterator[Path]:
    """A detached, temporary checkout of ``ref`` sharing ``repo``'s toolchain; removed afterwards."""
    commit = git(repo, "rev-parse", "--verify", f"{ref}^{{commit}}")
    scratch = Path(tempfile.mkdtemp(prefix="stack-diff-base-"))
    checkout = scratch / "checkout"
    git(repo, "worktree", "add", "--detach", "--quiet", str(checkout), commit)
    try:
        for name in SHARED_WITH_WORKTREES:
            if (repo / name).exists() and not (checkout / name).exists():
                (checkout / name).parent.mkdir(parents=True, exist_ok=True)
                (checkout / name).symlink_to(repo / name)
        yield checkout
    finally:
        git(repo, "worktree", "remove", "--force", str(checkout))
        shutil.rmtree(scratch, ignore_errors=True)
