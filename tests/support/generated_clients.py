"""The generated clients, made as ``make clients`` makes them, for the tests that call the API with them.

The Python client is generated into a directory put on ``sys.path`` and imported as ``items_client``.
The TypeScript one is the contract's types plus tests/service/typescript/items_round_trip.ts: ``tsc``
(the pinned TypeScript) type-checks the calls against the generated types, then esbuild bundles them with
openapi-fetch, as an ES module for Node and as a script for the browser page. Everything runs on the
project's Node (node_modules/.bin/node).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from tools.api_contract.clients import NODE, PYTHON_PACKAGE, python_client, typescript_client
from tools.api_contract.documents import CONTRACT_FILE, ROOT

ROUND_TRIP_SOURCE = ROOT / "tests" / "service" / "typescript" / "items_round_trip.ts"
TSC = ROOT / "node_modules" / "typescript" / "bin" / "tsc"
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"
TYPES_MODULE = "items-client"
"""The name the TypeScript source imports the generated types by (mapped in the tsconfig written here)."""
BROWSER_GLOBAL = "itemsClientTest"
"""The global the browser bundle defines, holding the source's exports."""


def import_python_client(workdir: Path) -> ModuleType:
    """Generates the Python client into ``workdir`` and imports its package."""
    project = python_client(ROOT / CONTRACT_FILE, workdir / "python")
    sys.path.insert(0, str(project))
    importlib.invalidate_caches()
    return importlib.import_module(PYTHON_PACKAGE)


@dataclass(frozen=True)
class TypeScriptClient:
    module: Path
    """The ES module bundle of the round trip, for Node."""
    browser_script: str
    """The same as a classic script defining :data:`BROWSER_GLOBAL`, for a page."""

    def call(self, function: str, *arguments: Any) -> Any:
        """``function(*arguments)`` of the bundle, awaited in Node; its JSON result."""
        script = (
            f"import {{ {function} }} from {json.dumps(self.module.as_uri())};\n"
            f"const result = await {function}(...JSON.parse(process.argv[1]));\n"
            "process.stdout.write(JSON.stringify(result));\n"
        )
        output = _run(str(NODE), "--input-type=module", "-e", script, json.dumps(arguments))
        return json.loads(output)


def build_typescript_client(workdir: Path) -> TypeScriptClient:
    """Generates the types, type-checks the round trip against them and bundles it."""
    schema = typescript_client(ROOT / CONTRACT_FILE, workdir / "types")
    tsconfig = workdir / "tsconfig.json"
    tsconfig.write_text(
        json.dumps(
            {
                "compilerOptions": {
                    "strict": True,
                    "noEmit": True,
                    "target": "ES2022",
                    "module": "ESNext",
                    "moduleResolution": "Bundler",
                    "lib": ["ES2022", "DOM"],
                    "types": [],
                    "paths": {TYPES_MODULE: [str(schema)]},
                },
                "files": [str(ROUND_TRIP_SOURCE)],
            }
        )
    )
    _run(str(NODE), str(TSC), "--project", str(tsconfig))
    module = workdir / "items_round_trip.mjs"
    script = workdir / "items_round_trip.js"
    bundle = (str(ESBUILD), str(ROUND_TRIP_SOURCE), "--bundle", "--platform=browser", "--log-level=warning")
    _run(*bundle, "--format=esm", f"--outfile={module}")
    _run(*bundle, "--format=iife", f"--global-name={BROWSER_GLOBAL}", f"--outfile={script}")
    return TypeScriptClient(module=module, browser_script=script.read_text())


def _run(*command: str) -> str:
    completed = subprocess.run(  # noqa: S603 - the project's pinned Node tools
        command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
    )
    if completed.returncode != 0:
        output = completed.stdout + completed.stderr
        raise AssertionError(f"{command[:2]} failed ({completed.returncode}):\n{output}")
    return completed.stdout
