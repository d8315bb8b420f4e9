"""The deploy waits for CodeDeploy and fails on a failed, stopped or rolled-back deployment (stubbed API)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.aws_stubs import StubbedSession, activated
from tools.deploy.rollout import RolloutError, wait_for_rollouts
from tools.deploy.targets import StackTarget

SINCE = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
APPLICATION = "dev-Stateless-CanaryApplication-ABC"
GROUP = "dev-Stateless-CanaryGroup-DEF"


def target(tmp_path: Path, *, with_group: bool = True) -> StackTarget:
    resources: dict[str, Any] = {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {}}}
    if with_group:
        resources |= {
            "CanaryApp": {"Type": "AWS::CodeDeploy::Application", "Properties": {}},
            "CanaryGroup": {
                "Type": "AWS::CodeDeploy::DeploymentGroup",
                "Properties": {"ApplicationName": {"Ref": "CanaryApp"}},
            },
        }
    template = tmp_path / "stateless.template.json"
    template.write_text(json.dumps({"Resources": resources}))
    return StackTarget(
        name="dev/Stateless",
        account="123456789012",
        region="eu-west-1",
        bootstrap_version=6,
        bootstrap_parameter="/cdk-bootstrap/hnb659fds/version",
        template_file=template,
        stack_name="dev-Stateless",
    )


def stack_resources(session: StubbedSession) -> None:
    resource = {"StackName": "dev-Stateless", "ResourceStatus": "UPDATE_COMPLETE", "Timestamp": SINCE}
    session.stub("cloudformation").add_response(
        "describe_stack_resources",
        {
            "StackResources": [
                {
                    **resource,
                    "LogicalResourceId": "CanaryApp",
                    "PhysicalResourceId": APPLICATION,
                    "ResourceType": "AWS::CodeDeploy::Application",
                },
                {
                    **resource,
                    "LogicalResourceId": "CanaryGroup",
                    "PhysicalResourceId": GROUP,
                    "ResourceType": "AWS::CodeDeploy::DeploymentGroup",
                },
            ]
        },
        {"StackName": "dev-Stateless"},
    )


def deployments(session: StubbedSession, *pages: list[str]) -> None:
    for index, ids in enumerate(pages):
        request: dict[str, Any] = {
            "applicationName": APPLICATION,
            "deploymentGroupName": GROUP,
            "createTimeRange": {"start": SINCE},
        }
        if index:
            request["nextToken"] = f"page-{index}"
        reply: dict[str, Any] = {"deployments": ids}
        if index + 1 < len(pages):
            reply["nextToken"] = f"page-{index + 1}"
        session.stub("codedeploy").add_response("list_deployments", reply, request)


def deployment(session: StubbedSession, deployment_id: str, status: str, **info: Any) -> None:
    session.stub("codedeploy").add_response(
        "get_deployment",
        {"deploymentInfo": {"deploymentId": deployment_id, "status": status, **info}},
        {"deploymentId": deployment_id},
    )


def run(session: StubbedSession, stack: StackTarget, **options: Any) -> Any:
    with activated(session):
        return wait_for_rollouts(session.as_session, [stack], SINCE, **options)


def test_a_succeeded_canary_passes_after_waiting_for_it(tmp_path: Path) -> None:
    session = StubbedSession()
    stack_resources(session)
    deployments(session, ["d-1"])
    deployment(session, "d-1", "InProgress")
    deployment(session, "d-1", "InProgress")
    deployment(session, "d-1", "Succeeded")
    waits: list[float] = []

    (rollout,) = run(session, target(tmp_path), poll=7, sleep=waits.append)

    assert rollout.good
    assert rollout.deployment_group == f"{APPLICATION}/{GROUP}"
    assert waits == [7, 7]


def test_a_rolled_back_canary_fails_with_codedeploys_reason(tmp_path: Path) -> None:
    session = StubbedSession()
    stack_resources(session)
    deployments(session, ["d-1"], ["d-2"])
    deployment(
        session, "d-1", "Stopped",
        rollbackInfo={"rollbackDeploymentId": "d-2", "rollbackMessage": "Alarm ApiErrors was ALARM"},
    )  # fmt: skip
    deployment(session, "d-2", "Succeeded", creator="autoRollback")

    with pytest.raises(RolloutError) as raised:
        run(session, target(tmp_path), sleep=lambda _: None)

    message = str(raised.value)
    assert "deployment d-1" in message
    assert "Stopped (Alarm ApiErrors was ALARM)" in message
    assert "automatic rollback d-2" in message


def test_a_failed_deployment_fails_the_deploy(tmp_path: Path) -> None:
    session = StubbedSession()
    stack_resources(session)
    deployments(session, ["d-9"])
    deployment(
        session, "d-9", "Failed", errorInformation={"code": "HEALTH_CONSTRAINTS", "message": "hook failed"}
    )

    with pytest.raises(RolloutError, match=r"d-9 .*: Failed \(hook failed\)"):
        run(session, target(tmp_path))


def test_a_deployment_still_running_at_the_deadline_fails(tmp_path: Path) -> None:
    session = StubbedSession()
    stack_resources(session)
    deployments(session, ["d-1"])
    deployment(session, "d-1", "InProgress")
    deployment(session, "d-1", "InProgress")
    clock = iter([0.0, 10.0, 99.0])

    with pytest.raises(RolloutError, match="still InProgress after 60 s"):
        run(session, target(tmp_path), timeout=60, sleep=lambda _: None, clock=lambda: next(clock))


def test_no_new_version_means_nothing_to_wait_for(tmp_path: Path) -> None:
    session = StubbedSession()
    stack_resources(session)
    deployments(session, [])

    assert run(session, target(tmp_path)) == []


def test_a_stack_without_deployment_groups_asks_aws_nothing(tmp_path: Path) -> None:
    session = StubbedSession()
    session.stub("codedeploy")

    assert run(session, target(tmp_path, with_group=False)) == []
