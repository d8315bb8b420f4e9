"""The session that reads a deployed environment (stacks, deployments, drift, logs).

By default the operator's own credentials. With ``via_lookup_role`` it is the CDK bootstrap lookup role of
the environment's account, assumed from those credentials: how the GitHub workflows read, since their
OIDC roles may do nothing but assume the bootstrap roles. The lookup role is read-only (AWS's
``ReadOnlyAccess`` policy, without ``kms:Decrypt``).
"""

from __future__ import annotations

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from tools.deploy.preflight import PreflightError
from tools.deploy.targets import StackTarget

SESSION_NAME = "items-service-reads"


def reading_session(
    session: boto3.Session, target: StackTarget, account: str, region: str, *, via_lookup_role: bool
) -> boto3.Session:
    """``session`` itself, or a session of ``target``'s lookup role assumed from it."""
    if not via_lookup_role:
        return session
    role_arn = target.resolved_lookup_role(account, region)
    if role_arn is None:
        raise PreflightError(f"{target.name} names no CDK lookup role: synthesize with a recent CDK")
    try:
        credentials = session.client("sts", region_name=region).assume_role(
            RoleArn=role_arn, RoleSessionName=SESSION_NAME
        )["Credentials"]
    except (ClientError, BotoCoreError) as error:
        raise PreflightError(
            f"could not assume the CDK lookup role {role_arn} ({error}): bootstrap the account with "
            "a CDK of version 2 (bootstrap version 8 or later) and let these credentials assume it"
        ) from None
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
