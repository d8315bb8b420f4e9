"""Resource impacts from ``@aws-cdk/cloudformation-diff``, the engine of ``cdk diff``, on the pinned Node.

The engine knows, for every resource type in the CloudFormation resource specification, which property
changes replace the resource (``WILL_REPLACE``, or ``MAY_REPLACE`` when it depends on the values), which
removals destroy or orphan it (its ``DeletionPolicy``), and whether IAM or security-group permissions
broaden. One Node process answers for every stack of a report (cfn_diff.cjs beside this file); the
engine is the npm package ``@aws-cdk/cloudformation-diff`` of the project (``npm install
@aws-cdk/cloudformation-diff``), found through ``NODE_PATH`` in the project's ``node_modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serverless_fastapi_cdk.toolkit.config import find_project
from serverless_fastapi_cdk.toolkit.stack_diff.compare import StackDiff
from serverless_fastapi_cdk.toolkit.toolchain import PrerequisiteError, Toolchain

SCRIPT = Path(__file__).with_name("cfn_diff.cjs")
ENGINE_PACKAGE = "@aws-cdk/cloudformation-diff"
REPLACING = frozenset({"WILL_REPLACE", "MAY_REPLACE"})


class EngineError(RuntimeError):
    """The engine could not run; the message says how to get it."""


@dataclass(frozen=True)
class ResourceImpact:
    logical_id: str
    impact: str
    """``WILL_UPDATE``, ``WILL_CREATE``, ``WILL_REPLACE``, ``MAY_REPLACE``, ``WILL_DESTROY`` or
    ``WILL_ORPHAN``."""
    replacing: tuple[str, ...]
    """Top-level properties whose change replaces the resource."""

    @property
    def replaces(self) -> bool:
        return self.impact in REPLACING


@dataclass(frozen=True)
class StackImpacts:
    resources: Mapping[str, ResourceImpact]
    permissions_broadened: bool


def templates_of(stack: StackDiff) -> tuple[dict[str, Any], dict[str, Any]]:
    """The old and new sides of every changed resource: all the engine needs to judge them."""
    old = {change.logical_id: dict(change.old) for change in stack.resources if change.old is not None}
    new = {change.logical_id: dict(change.new) for change in stack.resources if change.new is not None}
    return {"Resources": old}, {"Resources": new}


def stack_impacts(
    stacks: Iterable[StackDiff], *, node: Path | None = None, project: Path | None = None
) -> dict[str, StackImpacts]:
    """Each changed stack's impacts by stack name, from one run of the engine on ``node`` with the
    ``node_modules`` of ``project`` (defaults: the project of the working directory and its Node)."""
    request = []
    for stack in stacks:
        if stack.resources:
            old, new = templates_of(stack)
            request.append({"name": stack.name, "old": old, "new": new})
    if not request:
        return {}
    try:
        project = project or find_project(Path.cwd())
        node = node or Toolchain.find(project).node
    except (PrerequisiteError, ValueError) as error:
        raise EngineError(str(error)) from error
    modules = project / "node_modules"
    completed = subprocess.run(  # noqa: S603 - the project's Node running the script beside this file
        [str(node), str(SCRIPT)],
        input=json.dumps({"stacks": request}),
        capture_output=True,
        text=True,
        cwd=project,
        env={**os.environ, "NODE_PATH": str(modules)},
        check=False,
        timeout=120,
    )
    if completed.returncode != 0:
        raise EngineError(
            f"{ENGINE_PACKAGE} failed; is it installed in {modules} (npm install {ENGINE_PACKAGE})?\n"
            f"{completed.stderr}"
        )
    return {stack["name"]: _stack(stack) for stack in json.loads(completed.stdout)["stacks"]}


def _stack(answer: dict[str, Any]) -> StackImpacts:
    resources = {
        item["logicalId"]: ResourceImpact(
            logical_id=item["logicalId"],
            impact=item["impact"],
            replacing=tuple(sorted(prop["name"] for prop in item["replacing"])),
        )
        for item in answer["resources"]
    }
    return StackImpacts(
        resources=resources,
        permissions_broadened=bool(answer["permissionsBroadened"] or answer["securityGroupRulesAdded"]),
    )
