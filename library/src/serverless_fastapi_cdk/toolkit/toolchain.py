"""Find the CDK CLI and the Node.js it runs on, and run the CLI offline.

Looked up in this order: the configured path (``cdk-cli``/``node`` in ``[tool.sfcdk]``, or a flag), then
``PATH``, then the project's own npm install (``node_modules/.bin``, where ``npm install aws-cdk`` puts
it). The Node beside the CLI is preferred to the one on ``PATH``, so a project that pins a Node with npm
(the ``node`` package) runs the CLI and jsii on it. Nothing is installed: a missing tool is a
:class:`PrerequisiteError` saying how to get it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from serverless_fastapi_cdk.toolkit.config import find_project

CLI_ENV = {
    "CDK_DISABLE_CLI_TELEMETRY": "true",
    "AWS_EC2_METADATA_DISABLED": "true",
    "CI": "true",
}
"""No telemetry, no instance-metadata probe for credentials, no interactive output."""

_INSTALL_CDK = (
    "install the AWS CDK CLI 2.x (npm install aws-cdk@2, or npm install --global aws-cdk@2), "
    "or name it with cdk-cli in [tool.sfcdk] of pyproject.toml or --cdk-cli"
)
_INSTALL_NODE = (
    "install a supported Node.js (22 or 24: nodejs.org, your package manager, or npm install node@24), "
    "or name it with node in [tool.sfcdk] of pyproject.toml or --node"
)


class PrerequisiteError(RuntimeError):
    """Something a command needs is missing; the message says how to get it."""


def _configured(value: str, project: Path, what: str, how: str) -> Path:
    candidate = Path(value)
    if not candidate.is_absolute() and os.sep not in value:
        found = shutil.which(value)
        if found is None:
            raise PrerequisiteError(f"{what} {value!r} is not on PATH: {how}")
        return Path(found)
    path = candidate if candidate.is_absolute() else project / candidate
    if not path.exists():
        raise PrerequisiteError(f"{what} {path} does not exist: {how}")
    return path


@dataclass(frozen=True)
class Toolchain:
    """The CDK CLI and the Node.js that runs it (and jsii, through ``JSII_NODE``)."""

    cdk: Path
    node: Path

    @classmethod
    def find(cls, project: Path, *, cdk_cli: str | None = None, node: str | None = None) -> Toolchain:
        """The configured tools, else those on ``PATH``, else the project's ``node_modules/.bin``."""
        local_bin = project / "node_modules" / ".bin"
        if cdk_cli is not None:
            cdk = _configured(cdk_cli, project, "the CDK CLI", _INSTALL_CDK)
        else:
            found = shutil.which("cdk") or (str(local_bin / "cdk") if (local_bin / "cdk").exists() else None)
            if found is None:
                raise PrerequisiteError(
                    f"the AWS CDK CLI (cdk) is not on PATH nor in {local_bin}: {_INSTALL_CDK}"
                )
            cdk = Path(found)
        if node is not None:
            node_path = _configured(node, project, "Node.js", _INSTALL_NODE)
        else:
            beside = cdk.parent / "node"
            found = str(beside) if beside.exists() else shutil.which("node")
            if found is None:
                raise PrerequisiteError(
                    f"Node.js (node), which runs the CDK CLI, is not on PATH: {_INSTALL_NODE}"
                )
            node_path = Path(found)
        return cls(cdk=cdk, node=node_path)

    def environment(
        self, extra_path: Sequence[Path] = (), base: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """The process environment to run the CLI with: its Node first on ``PATH``, offline settings."""
        environment = dict(os.environ if base is None else base)
        path = [str(folder) for folder in (*extra_path, self.node.parent)]
        environment["PATH"] = os.pathsep.join([*path, environment.get("PATH", "")])
        environment["JSII_NODE"] = str(self.node)
        return environment | CLI_ENV

    def run(
        self,
        arguments: Sequence[str],
        *,
        cwd: Path,
        extra_path: Sequence[Path] = (),
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """``cdk <arguments>`` in ``cwd``, output captured."""
        return subprocess.run(  # noqa: S603 (the CLI found above, a fixed argument list, no shell)
            [str(self.cdk), *arguments],
            cwd=cwd,
            env=self.environment(extra_path),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )


@dataclass(frozen=True)
class NodeScript:
    """Where a script of the toolkit runs: a Node, and the project whose ``node_modules`` its
    ``require`` calls find packages in (through ``NODE_PATH``)."""

    node: Path
    project: Path

    @classmethod
    def find(cls, *, node: Path | None = None, project: Path | None = None) -> NodeScript:
        """``node`` and ``project``, defaulting to the working directory's project and its Node; raises
        :class:`PrerequisiteError` or ``ValueError`` (no project) saying what is missing."""
        root = project or find_project(Path.cwd())
        return cls(node=node or Toolchain.find(root).node, project=root)

    @property
    def modules(self) -> Path:
        return self.project / "node_modules"

    def environment(self) -> dict[str, str]:
        """This process's environment with ``NODE_PATH`` naming :attr:`modules`."""
        return {**os.environ, "NODE_PATH": str(self.modules)}
