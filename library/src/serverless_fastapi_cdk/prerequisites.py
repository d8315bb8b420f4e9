"""What synthesis needs besides this package, checked before the first construct loads.

- **Node.js 22 or 24**: aws-cdk-lib runs on jsii, which starts Node (``JSII_NODE``, else ``node`` on
  PATH). Node 20 is past its end of life; jsii prints a banner about it on every run.
- **The CDK CLI** (:data:`CDK_CLI_VERSION`, pinned in the app's package.json) for ``cdk synth``/``deploy``:
  the npm ``latest`` tag of ``aws-cdk`` is an old, incompatible build.
- **uv and a package index or uv's warm cache**: a dependency layer installs its hash-locked wheels with
  uv at synth. With ``UV_OFFLINE=1`` a warm cache suffices; nothing else is downloaded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from functools import cache

SUPPORTED_NODE_MAJORS = (22, 24)
"""The Node.js releases jsii supports (22 until April 2027, 24 until April 2028)."""
CDK_CLI_VERSION = "2.1148.1"
"""The CDK CLI release tested with this library's aws-cdk-lib (it reads its cloud-assembly schema)."""


def node_problem(environ: Mapping[str, str] = os.environ) -> str | None:
    """One line saying why the Node jsii would start is not supported; ``None`` when it is."""
    node = environ.get("JSII_NODE") or shutil.which("node")
    wanted = " or ".join(f"{major}.x" for major in SUPPORTED_NODE_MAJORS)
    if node is None:
        return f"serverless-fastapi-cdk: no Node.js found for jsii: install Node {wanted} or set JSII_NODE"
    try:
        version = subprocess.run(  # noqa: S603 (the configured node, fixed argument)
            [node, "--version"], capture_output=True, text=True, check=False, timeout=30
        ).stdout.strip()
    except OSError:
        version = ""
    major = version.lstrip("v").split(".", 1)[0]
    if major.isdigit() and int(major) in SUPPORTED_NODE_MAJORS:
        return None
    return (
        f"serverless-fastapi-cdk: Node {version or '(unknown version)'} at {node} is not supported by jsii: "
        f"use Node {wanted} (npm install node@24, then JSII_NODE=node_modules/.bin/node)"
    )


@cache
def warn_once() -> None:
    """Print :func:`node_problem` to stderr, once per process (synthesis goes on)."""
    problem = node_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
