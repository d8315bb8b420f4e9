"""``make drift ENV=<env>``: CloudFormation drift detection of the environment's deployed stacks.

Starts a detection per stack, waits for it, and lists every resource that was modified or deleted outside
CloudFormation with the properties that differ. Exit 0 when every stack is in sync, 5 on drift, 2 when
the credentials or the assembly are missing, 1 when a detection fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import boto3

from tools.deploy.operator import add_common_arguments, open_environment
from tools.deploy.preflight import PreflightError
from tools.deploy.targets import StackTarget, TargetError

EXIT_DRIFTED = 5
EXIT_PREFLIGHT = 2
EXIT_FAILED = 1
DRIFTED_STATUSES = ["MODIFIED", "DELETED"]
POLL_SECONDS = 5.0


class DetectionError(RuntimeError):
    """CloudFormation could not finish a drift detection."""


@dataclass(frozen=True)
class ResourceDrift:
    logical_id: str
    resource_type: str
    physical_id: str
    status: str
    differences: tuple[str, ...]


@dataclass(frozen=True)
class StackDrift:
    stack: str
    stack_name: str
    status: str
    resources: tuple[ResourceDrift, ...]

    @property
    def drifted(self) -> bool:
        return self.status == "DRIFTED"


def detect(
    session: boto3.Session,
    target: StackTarget,
    *,
    sleep: Callable[[float], None] | None = None,
    poll: float = POLL_SECONDS,
) -> StackDrift:
    """Run one stack's drift detection to the end and collect its drifted resources."""
    cloudformation = session.client("cloudformation")
    name = target.cloudformation_name
    detection = cloudformation.detect_stack_drift(StackName=name)["StackDriftDetectionId"]
    while True:
        status = cloudformation.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
        if status["DetectionStatus"] != "DETECTION_IN_PROGRESS":
            break
        (sleep or time.sleep)(poll)
    if status["DetectionStatus"] == "DETECTION_FAILED" and "StackDriftStatus" not in status:
        raise DetectionError(f"{target.name}: drift detection failed: {status.get('DetectionStatusReason')}")
    drift_status = status.get("StackDriftStatus", "UNKNOWN")
    resources: tuple[ResourceDrift, ...] = ()
    if drift_status == "DRIFTED":
        resources = tuple(_drifted_resources(cloudformation, name))
    return StackDrift(target.name, name, drift_status, resources)


def _drifted_resources(cloudformation: Any, stack_name: str) -> Iterator[ResourceDrift]:
    request: dict[str, Any] = {"StackName": stack_name, "StackResourceDriftStatusFilters": DRIFTED_STATUSES}
    while True:
        reply = cloudformation.describe_stack_resource_drifts(**request)
        for drift in reply["StackResourceDrifts"]:
            yield ResourceDrift(
                logical_id=drift["LogicalResourceId"],
                resource_type=drift["ResourceType"],
                physical_id=drift.get("PhysicalResourceId", ""),
                status=drift["StackResourceDriftStatus"],
                differences=tuple(_difference(item) for item in drift.get("PropertyDifferences", [])),
            )
        if not reply.get("NextToken"):
            return
        request["NextToken"] = reply["NextToken"]


def _difference(item: dict[str, Any]) -> str:
    path = item["PropertyPath"].lstrip("/").replace("/", ".")
    kind = {"ADD": "added", "REMOVE": "removed", "NOT_EQUAL": "changed"}.get(item["DifferenceType"], "")
    return f"{path} {kind}: expected {_short(item['ExpectedValue'])}, actual {_short(item['ActualValue'])}"


def _short(value: str, limit: int = 80) -> str:
    with contextlib.suppress(ValueError):
        value = json.dumps(json.loads(value), sort_keys=True)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def render(drifts: Sequence[StackDrift]) -> str:
    lines = []
    for drift in drifts:
        if not drift.drifted:
            lines.append(f"{drift.stack} ({drift.stack_name}): {drift.status}")
            continue
        lines.append(f"{drift.stack} ({drift.stack_name}): DRIFTED, {len(drift.resources)} resource(s)")
        for resource in drift.resources:
            where = f"{resource.logical_id} ({resource.resource_type}) {resource.physical_id}"
            lines.append(f"  {resource.status:<9} {where}")
            lines.extend(f"            {difference}" for difference in resource.differences)
    drifted = [drift.stack for drift in drifts if drift.drifted]
    lines.append(
        f"drift: {', '.join(drifted)} drifted: bring AWS back to the template by deploying again, or put the "
        "manual change into the code"
        if drifted
        else "drift: every stack matches its template"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, session: boto3.Session | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy.drift", description=__doc__)
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    try:
        environment = open_environment(args, session)
    except (PreflightError, TargetError) as error:
        print(f"drift: {error}", file=sys.stderr)
        return EXIT_PREFLIGHT
    try:
        drifts = [detect(environment.session, target) for target in environment.targets]
    except DetectionError as error:
        print(f"drift: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(render(drifts))
    return EXIT_DRIFTED if any(drift.drifted for drift in drifts) else 0


if __name__ == "__main__":
    sys.exit(main())
