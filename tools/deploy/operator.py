"""What ``make drift`` and ``make logs`` share: the environment's stacks, and credentials to read them.

Both refuse clearly, before any other AWS call, when there are no usable credentials or they belong to
another account (the deploy's own pre-flight checks).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import boto3

from tools.deploy.preflight import check_credentials, resolve_targets
from tools.deploy.reads import reading_session
from tools.deploy.targets import StackTarget, stage_targets

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Environment:
    """An environment's stacks (as synthesized) and a session that may read them once deployed."""

    name: str
    targets: list[StackTarget]
    session: boto3.Session


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("environment", help="the stage, e.g. dev")
    parser.add_argument("--assembly", type=Path, default=ROOT / "cdk.out", help="synthesized cloud assembly")
    parser.add_argument(
        "--via-lookup-role", action="store_true", help="read through the CDK bootstrap lookup role (CI)"
    )


def open_environment(args: argparse.Namespace, session: boto3.Session | None = None) -> Environment:
    """Check the credentials against the environment's account; raise ``PreflightError`` otherwise."""
    targets = stage_targets(args.assembly, args.environment)
    session = session or boto3.Session()
    identity = check_credentials(session)
    resolved = resolve_targets(targets, identity, session.region_name)
    target, account, region = resolved[0]
    reads = reading_session(session, target, account, region, via_lookup_role=args.via_lookup_role)
    return Environment(args.environment, targets, reads)
