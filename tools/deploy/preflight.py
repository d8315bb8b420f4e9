"""Pre-flight checks before a deploy: usable AWS credentials for the right account, a fresh CDK bootstrap.

Each failure raises :class:`PreflightError` with a message that says what to do, instead of the CDK
CLI's failure half-way through a deployment.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from tools.deploy.targets import StackTarget

CDK = "node_modules/.bin/cdk"
"""The pinned CLI, as the operator runs it from the project root."""


class PreflightError(RuntimeError):
    """A check failed; the message tells the operator how to fix it."""


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str


def check_credentials(session: boto3.Session) -> Identity:
    """Who the credentials belong to (``sts:GetCallerIdentity`` needs no permission)."""
    try:
        reply = session.client("sts").get_caller_identity()
    except NoCredentialsError:
        raise PreflightError(
            "no AWS credentials found. Sign in first, for example `aws sso login --profile <profile>` and "
            "`export AWS_PROFILE=<profile>`, or export AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / "
            "AWS_SESSION_TOKEN"
        ) from None
    except NoRegionError:
        raise PreflightError(
            "no AWS region configured: export AWS_REGION=<region> (or set it in the profile)"
        ) from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "?")
        raise PreflightError(
            f"the AWS credentials were rejected ({code}): they are expired or invalid; sign in again"
        ) from None
    except BotoCoreError as error:
        raise PreflightError(f"could not reach AWS STS to check the credentials: {error}") from None
    return Identity(account=reply["Account"], arn=reply["Arn"])


def resolve_targets(
    targets: Sequence[StackTarget], identity: Identity, default_region: str | None
) -> list[tuple[StackTarget, str, str]]:
    """Each stack with the account and region it deploys to; refuses credentials of another account."""
    resolved = []
    for target in targets:
        if target.account is not None and target.account != identity.account:
            raise PreflightError(
                f"{target.name} deploys to account {target.account}, but the credentials are for "
                f"{identity.account} ({identity.arn}): switch profile, or retarget the environment with "
                f"`-c <env>:account=<id>` in cdk.json context"
            )
        region = target.region or default_region
        if region is None:
            raise PreflightError(f"{target.name} has no region and none is configured: export AWS_REGION")
        resolved.append((target, target.account or identity.account, region))
    return resolved


def check_bootstrap(session: boto3.Session, target: StackTarget, account: str, region: str) -> int:
    """The bootstrap version in ``account``/``region``; fails if missing or older than the stack needs."""
    bootstrap = f"`{CDK} bootstrap aws://{account}/{region}`"
    try:
        reply = session.client("ssm", region_name=region).get_parameter(Name=target.bootstrap_parameter)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "?")
        if code == "ParameterNotFound":
            raise PreflightError(
                f"aws://{account}/{region} is not bootstrapped for the CDK ({target.bootstrap_parameter} "
                f"does not exist). Bootstrap it once with {bootstrap}"
            ) from None
        raise PreflightError(
            f"could not read {target.bootstrap_parameter} in {region} ({code}); the credentials need "
            "ssm:GetParameter on the CDK bootstrap parameter"
        ) from None
    version = int(reply["Parameter"].get("Value", "0"))
    if version < target.bootstrap_version:
        raise PreflightError(
            f"aws://{account}/{region} has CDK bootstrap version {version}, but {target.name} needs "
            f"{target.bootstrap_version} or later: upgrade it with {bootstrap}"
        )
    return version


UNSET_REPOSITORY_MARKER = "UNSET-OWNER/"
REPOSITORY_METADATA_KEY = "GitHubRepository"


def check_trusted_repository(targets: Sequence[StackTarget]) -> None:
    """Refuse to deploy deploy roles that trust the placeholder synthesis uses while no repository is set."""
    for target in targets:
        metadata = json.loads(target.template_file.read_text()).get("Metadata", {})
        if str(metadata.get(REPOSITORY_METADATA_KEY, "")).startswith(UNSET_REPOSITORY_MARKER):
            raise PreflightError(
                f"{target.name} would trust the placeholder repository "
                f"{metadata[REPOSITORY_METADATA_KEY]}: name yours in cdk.json's context "
                '("github:repository": "<owner>/<name>") or with '
                'CDK_ARGS="-c github:repository=<owner>/<name>"'
            )
