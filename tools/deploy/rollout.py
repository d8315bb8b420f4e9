"""After ``cdk deploy``: wait for the CodeDeploy deployments it started, and fail if one rolled back.

CloudFormation hands a new function version to CodeDeploy (the alias's ``CodeDeployLambdaAliasUpdate``
update policy), which shifts traffic in steps and rolls back on an alarm. A deploy is only good once every
deployment of the environment's deployment groups created since the deploy started has ``Succeeded``; a
``Failed`` or ``Stopped`` one, or an automatic rollback, fails the deploy with CodeDeploy's own reason.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3

from tools.deploy.targets import StackTarget

TERMINAL = frozenset({"Succeeded", "Failed", "Stopped"})
DEFAULT_TIMEOUT_SECONDS = 3600.0
DEFAULT_POLL_SECONDS = 15.0


class RolloutError(RuntimeError):
    """A deployment failed, was stopped or rolled back, or did not finish in time."""


@dataclass(frozen=True)
class Rollout:
    stack: str
    deployment_group: str
    deployment_id: str
    status: str
    creator: str
    reason: str
    """CodeDeploy's error or rollback message; empty when it succeeded."""

    @property
    def good(self) -> bool:
        return self.status == "Succeeded" and self.creator != "autoRollback"

    def describe(self) -> str:
        what = "automatic rollback" if self.creator == "autoRollback" else "deployment"
        text = f"{self.stack}: {what} {self.deployment_id} of {self.deployment_group}: {self.status}"
        return f"{text} ({self.reason})" if self.reason else text


@dataclass(frozen=True)
class DeploymentGroup:
    stack: str
    application: str
    name: str


def deployment_groups(session: boto3.Session, target: StackTarget) -> list[DeploymentGroup]:
    """The deployed CodeDeploy application and group names of ``target``'s template's deployment groups."""
    resources: dict[str, Any] = json.loads(target.template_file.read_text()).get("Resources", {})
    groups = {
        logical_id: resource
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::CodeDeploy::DeploymentGroup"
    }
    if not groups:
        return []
    reply = session.client("cloudformation").describe_stack_resources(StackName=target.cloudformation_name)
    physical = {item["LogicalResourceId"]: item["PhysicalResourceId"] for item in reply["StackResources"]}
    found = []
    for logical_id, group in sorted(groups.items()):
        application = group["Properties"]["ApplicationName"]
        application_name = physical.get(application["Ref"]) if isinstance(application, dict) else application
        if logical_id in physical and application_name:
            found.append(DeploymentGroup(target.name, str(application_name), physical[logical_id]))
    return found


def _deployment_ids(codedeploy: Any, group: DeploymentGroup, since: datetime) -> Iterator[str]:
    request: dict[str, Any] = {
        "applicationName": group.application,
        "deploymentGroupName": group.name,
        "createTimeRange": {"start": since},
    }
    while True:
        reply = codedeploy.list_deployments(**request)
        yield from reply.get("deployments", [])
        if not reply.get("nextToken"):
            return
        request["nextToken"] = reply["nextToken"]


def _rollout(group: DeploymentGroup, info: Mapping[str, Any]) -> Rollout:
    reason = (
        info.get("rollbackInfo", {}).get("rollbackMessage")
        or info.get("errorInformation", {}).get("message")
        or ""
    )
    return Rollout(
        stack=group.stack,
        deployment_group=f"{group.application}/{group.name}",
        deployment_id=info["deploymentId"],
        status=info["status"],
        creator=info.get("creator", "user"),
        reason=reason if info["status"] != "Succeeded" or info.get("creator") == "autoRollback" else "",
    )


def wait_for_rollouts(
    session: boto3.Session,
    targets: Sequence[StackTarget],
    since: datetime,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    poll: float = DEFAULT_POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[Rollout]:
    """Every deployment the stage's groups started since ``since``, once all are finished.

    Raises :class:`RolloutError` when one is not good, or when one is still running after ``timeout``.
    """
    codedeploy = session.client("codedeploy")
    deadline = clock() + timeout
    rollouts: list[Rollout] = []
    for target in targets:
        for group in deployment_groups(session, target):
            for deployment_id in list(_deployment_ids(codedeploy, group, since)):
                while True:
                    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
                    if info["status"] in TERMINAL:
                        rollouts.append(_rollout(group, info))
                        break
                    if clock() >= deadline:
                        raise RolloutError(
                            f"{target.name}: deployment {deployment_id} is still {info['status']} after "
                            f"{timeout:.0f} s; watch it in the CodeDeploy console before deploying again"
                        )
                    sleep(poll)
    bad = [rollout for rollout in rollouts if not rollout.good]
    if bad:
        raise RolloutError("; ".join(rollout.describe() for rollout in bad))
    return rollouts
