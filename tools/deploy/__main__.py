"""Command line: ``python -m tools.deploy ENV [--dry-run]`` (``make deploy ENV=<env>``)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import boto3

from tools.deploy.alarm_subscribers import (
    SUBSCRIBERS_REQUIRED,
    describe,
    how_to_subscribe,
    silent_alarm_topics,
)
from tools.deploy.preflight import (
    PreflightError,
    check_bootstrap,
    check_credentials,
    check_trusted_repository,
    resolve_targets,
)
from tools.deploy.reads import reading_session
from tools.deploy.rollout import RolloutError, wait_for_rollouts
from tools.deploy.targets import StackTarget, TargetError, stage_names, stage_targets

ROOT = Path(__file__).resolve().parents[2]
APPROVAL = {"prod": "broadening"}
"""``--require-approval`` per environment: prod asks before any change that broadens security."""
DEFAULT_APPROVAL = "never"
EXIT_PREFLIGHT = 2
EXIT_ROLLOUT = 4


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy", description=__doc__)
    parser.add_argument("environment", nargs="?", help="the stage to deploy, e.g. dev (make deploy ENV=dev)")
    parser.add_argument("--assembly", type=Path, default=ROOT / "cdk.out", help="synthesized cloud assembly")
    parser.add_argument(
        "--dry-run", action="store_true", help="check and print the deploy command, run nothing"
    )
    parser.add_argument(
        "--require-approval",
        choices=("never", "any-change", "broadening"),
        help="override the environment's approval (prod: broadening); CI passes never, since a reviewer "
        "of the GitHub environment approved the run and no terminal can answer",
    )
    parser.add_argument(
        "--via-lookup-role",
        action="store_true",
        help="read CodeDeploy and CloudFormation through the CDK lookup role (the CI roles can do no more)",
    )
    return parser.parse_args(argv)


def deploy_command(assembly: Path, environment: str, approval: str | None = None) -> list[str]:
    """The pinned CLI deploying exactly the synthesized assembly's ``<env>/*`` stacks."""
    approval = approval or APPROVAL.get(environment, DEFAULT_APPROVAL)
    return [
        str(ROOT / "node_modules" / ".bin" / "cdk"), "deploy", "--app", str(assembly), f"{environment}/*",
        "--require-approval", approval, "--no-notices",
    ]  # fmt: skip


def check_alarm_subscribers(environment: str, targets: Sequence[StackTarget]) -> None:
    """Refuse an environment of ``SUBSCRIBERS_REQUIRED`` whose alarms would notify nobody; warn for others.

    Runs before any AWS call: it needs only the synthesized templates.
    """
    silent = [describe(environment, topic) for topic in silent_alarm_topics(targets)]
    if not silent:
        return
    if environment in SUBSCRIBERS_REQUIRED:
        raise PreflightError("; ".join(silent) + ". Refusing to deploy: " + how_to_subscribe(environment))
    for problem in silent:
        print(f"deploy: WARNING: {problem}; to be told: {how_to_subscribe(environment)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if not args.environment:
            names = ", ".join(stage_names(args.assembly))
            raise PreflightError(f"which environment? make deploy ENV=<env> (one of: {names})")
        targets = stage_targets(args.assembly, args.environment)
        check_trusted_repository(targets)
        check_alarm_subscribers(args.environment, targets)
        session = boto3.Session()
        identity = check_credentials(session)
        print(f"credentials: {identity.arn} (account {identity.account})")
        resolved = resolve_targets(targets, identity, session.region_name)
        for target, account, region in resolved:
            version = check_bootstrap(session, target, account, region)
            print(
                f"{target.name}: aws://{account}/{region}, CDK bootstrap version {version} (needs ≥ "
                f"{target.bootstrap_version})"
            )
    except (PreflightError, TargetError) as error:
        print(f"deploy: {error}", file=sys.stderr)
        return EXIT_PREFLIGHT
    command = deploy_command(args.assembly, args.environment, args.require_approval)
    print("$ " + " ".join(command), flush=True)
    if args.dry_run:
        return 0
    started = datetime.now(UTC)
    code = subprocess.run(command, cwd=ROOT, env={**os.environ}, check=False).returncode  # noqa: S603
    try:
        target, account, region = resolved[0]
        reads = reading_session(session, target, account, region, via_lookup_role=args.via_lookup_role)
        for rollout in wait_for_rollouts(reads, targets, started):
            print(f"rollout: {rollout.describe()}")
    except (PreflightError, RolloutError) as error:
        print(f"deploy: {error}", file=sys.stderr)
        return code or EXIT_ROLLOUT
    return code


if __name__ == "__main__":
    sys.exit(main())
