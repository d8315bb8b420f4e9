"""Resource impacts from ``@aws-cdk/cloudformation-diff``, the engine of ``cdk diff``, on the pinned Node.

The engine knows, for every resource type in the CloudFormation resource specification, which property
changes replace the resource (``WILL_REPLACE``, or ``MAY_REPLACE`` when it depends on the values), which
removals destroy or orphan it (its ``DeletionPolicy``), and whether IAM or security-group permissions
broaden. One Node process (cfn_diff.cjs beside this file) answers every request of a Python process: it
loads the resource specification once, which costs about a second of CPU. The engine is the npm package
``@aws-cdk/cloudformation-diff`` of the project (``npm install @aws-cdk/cloudformation-diff``), found
through ``NODE_PATH`` in the project's ``node_modules``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import select
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from serverless_fastapi_cdk.toolkit.stack_diff.compare import StackDiff
from serverless_fastapi_cdk.toolkit.toolchain import NodeScript, PrerequisiteError

SCRIPT = Path(__file__).with_name("cfn_diff.cjs")
ENGINE_PACKAGE = "@aws-cdk/cloudformation-diff"
REPLACING = frozenset({"WILL_REPLACE", "MAY_REPLACE"})
TIMEOUT_SECONDS = 120


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
        script = NodeScript.find(node=node, project=project)
    except (PrerequisiteError, ValueError) as error:
        raise EngineError(str(error)) from error
    answer = _engine(script).ask({"stacks": request})
    return {stack["name"]: _stack(stack) for stack in answer["stacks"]}


class _Engine:
    """The engine's Node process: one request written as a line, one answer read back, in turn."""

    def __init__(self, script: NodeScript) -> None:
        self._modules = script.modules
        self._errors: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115 - lives as long as the process
        self._process = subprocess.Popen(  # noqa: S603 - the project's Node running the script beside this file
            [str(script.node), str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
            cwd=script.project,
            env=script.environment(),
        )
        self._stdin = cast(IO[str], self._process.stdin)
        self._stdout = cast(IO[str], self._process.stdout)
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            try:
                self._stdin.write(json.dumps(request) + "\n")
                self._stdin.flush()
                ready, _, _ = select.select([self._stdout], [], [], TIMEOUT_SECONDS)
                line = self._stdout.readline() if ready else ""
            except BrokenPipeError:
                line = ""
            if not line:
                self.close()
                raise EngineError(
                    f"{ENGINE_PACKAGE} failed; is it installed in {self._modules} "
                    f"(npm install {ENGINE_PACKAGE})?\n{self._stderr()}"
                )
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if not self._stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self._stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _stderr(self) -> str:
        self._errors.seek(0)
        return self._errors.read()


_engines: dict[NodeScript, _Engine] = {}
_engines_lock = threading.Lock()


def _engine(script: NodeScript) -> _Engine:
    """The running engine for ``script`` (a Node and a project), started on first use and ended when
    Python exits."""
    with _engines_lock:
        engine = _engines.get(script)
        if engine is None or not engine.running:
            engine = _engines[script] = _Engine(script)
            atexit.register(engine.close)
        return engine


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
