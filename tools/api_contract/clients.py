"""``python -m tools.api_contract.clients [--out DIR]`` (``make clients``): typed clients from the contract.

Both are generated from the committed contract (docs/api/openapi.json) by pinned generators:

- Python: ``openapi-python-client`` (requirements.in), a package ``items_client`` with one module per
  operation (``items_client.api.items.create_item``), attrs models and an httpx client, in ``python/``
  with its ``pyproject.toml``;
- TypeScript: ``openapi-typescript`` (package.json), the document's types in ``typescript/schema.d.ts``,
  for ``openapi-fetch``'s ``createClient<paths>()``, which types every path, parameter and body.

They are build output (``build/clients/`` by default), not committed: the contract is the reviewed
artifact, and the clients are a pure function of it and of the pinned generators. The tests generate
both and run them against the emulated dev stage (tests/service/test_clients.py).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from tools.api_contract.documents import CONTRACT_FILE, ROOT

PYTHON_PACKAGE = "items_client"
PYTHON_CONFIG = Path(__file__).with_name("python-client.yaml")
NODE = ROOT / "node_modules" / ".bin" / "node"
OPENAPI_TYPESCRIPT = ROOT / "node_modules" / "openapi-typescript" / "bin" / "cli.js"
DEFAULT_OUT = ROOT / "build" / "clients"


class GeneratorError(RuntimeError):
    """A generator failed or is missing; the message carries its output."""


def python_client(contract: Path, out: Path) -> Path:
    """Writes the Python client's project to ``out`` (replaced); returns the directory holding the package."""
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    _run(
        sys.executable, "-m", "openapi_python_client", "generate",
        "--path", str(contract), "--config", str(PYTHON_CONFIG), "--meta", "uv",
        "--output-path", str(out), "--fail-on-warning",
    )  # fmt: skip
    return out


def typescript_client(contract: Path, out: Path) -> Path:
    """Writes the TypeScript types of ``contract`` to ``out/schema.d.ts``; returns that file."""
    if not NODE.exists() or not OPENAPI_TYPESCRIPT.exists():
        raise GeneratorError(f"{OPENAPI_TYPESCRIPT} is missing: run make setup")
    out.mkdir(parents=True, exist_ok=True)
    schema = out / "schema.d.ts"
    _run(str(NODE), str(OPENAPI_TYPESCRIPT), str(contract), "--output", str(schema))
    return schema


def _run(*command: str) -> None:
    completed = subprocess.run(  # noqa: S603 - the pinned generators, arguments of this module's making
        command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
    )
    if completed.returncode != 0:
        raise GeneratorError(f"{' '.join(command)} failed:\n{completed.stdout}\n{completed.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.api_contract.clients", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: build/clients")
    options = parser.parse_args(argv)
    contract = ROOT / CONTRACT_FILE
    try:
        python = python_client(contract, options.out / "python")
        typescript = typescript_client(contract, options.out / "typescript")
    except GeneratorError as error:
        print(f"clients: {error}", file=sys.stderr)
        return 1
    print(f"wrote the Python client {python / PYTHON_PACKAGE} and the TypeScript types {typescript}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
