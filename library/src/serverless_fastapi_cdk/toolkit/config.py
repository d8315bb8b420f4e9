"""The toolkit's settings: the ``[tool.sfcdk]`` table of the app's ``pyproject.toml``, then flags.

The project is the folder holding the CDK app's ``cdk.json``, found from the working directory upwards
(or given with ``--project``). Every path in the table is relative to it. A flag given on the command
line wins over the table, which wins over the defaults below.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TABLE = "tool.sfcdk"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_STATE_DIR = ".local"
DEFAULT_BASE_BRANCH = "main"


class ConfigError(ValueError):
    """The project or its ``[tool.sfcdk]`` table is not usable; the message says what to change."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What every command reads: where the app is and how to run its toolchain."""

    project: Path
    """The folder of ``cdk.json``."""
    app: str | None = None
    """The CDK app command (``cdk synth --app``); None: ``cdk.json``'s ``app``."""
    stage: str | None = None
    """The CDK ``Stage`` to serve; None: the only stage, or the stacks at the top of the app."""
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    """The first HTTP API's port; the stage's further APIs get the next ones."""
    watch: tuple[Path, ...] = ()
    """What the CDK app reads besides the function code (absolute); empty: found from the app."""
    cdk_cli: str | None = None
    """The CDK CLI; None: ``cdk`` on ``PATH``, then the project's ``node_modules/.bin/cdk``."""
    node: str | None = None
    """The Node.js that runs the CLI and jsii; None: the one beside the CLI, then ``node`` on ``PATH``."""
    state_dir: Path
    """Where ``local`` keeps its synthesis, key pair and the running API's address (absolute)."""
    base_branch: str = DEFAULT_BASE_BRANCH
    """What ``diff`` compares against by default (the merge base with it)."""
    contract: Path | None = None
    """The service's committed OpenAPI document, relative to the project: ``diff`` compares the base's
    with the working tree's and classifies breaking changes. None: no contract section."""


_KEYS: dict[str, type] = {
    "app": str,
    "stage": str,
    "host": str,
    "port": int,
    "watch": list,
    "cdk-cli": str,
    "node": str,
    "state-dir": str,
    "base-branch": str,
    "contract": str,
}


def find_project(start: Path) -> Path:
    """The nearest folder from ``start`` upwards that holds a ``cdk.json``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "cdk.json").is_file():
            return folder
    raise ConfigError(
        f"no cdk.json in {start} or above it: run the command inside a CDK app, or pass --project DIR"
    )


def read_table(project: Path) -> dict[str, Any]:
    """The ``[tool.sfcdk]`` table of ``project/pyproject.toml`` (empty when there is none)."""
    path = project / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        document = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from error
    table = document.get("tool", {}).get("sfcdk", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{TABLE}] must be a table")
    for key, value in table.items():
        expected = _KEYS.get(key)
        if expected is None:
            raise ConfigError(f"{path}: [{TABLE}] has no setting {key!r} (settings: {', '.join(_KEYS)})")
        if not isinstance(value, expected) or isinstance(value, bool):
            kind = {str: "string", int: "number", list: "list"}.get(expected, "value")
            raise ConfigError(f"{path}: [{TABLE}] {key} must be a {kind}, not {value!r}")
    watch = table.get("watch", [])
    if not all(isinstance(item, str) for item in watch):
        raise ConfigError(f"{path}: [{TABLE}] watch must be a list of paths relative to the project")
    return table


def load(project: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """The settings of ``project`` (found from the working directory when None), flags applied.

    ``overrides`` holds the flags given, by setting name (``cdk_cli``, ``port``...); None values are
    flags left out.
    """
    root = find_project(project or Path.cwd())
    table = read_table(root)
    settings = Settings(
        project=root,
        app=table.get("app"),
        stage=table.get("stage"),
        host=table.get("host", DEFAULT_HOST),
        port=table.get("port", DEFAULT_PORT),
        watch=tuple(root / item for item in table.get("watch", [])),
        cdk_cli=table.get("cdk-cli"),
        node=table.get("node"),
        state_dir=root / table.get("state-dir", DEFAULT_STATE_DIR),
        base_branch=table.get("base-branch", DEFAULT_BASE_BRANCH),
        contract=Path(table["contract"]) if "contract" in table else None,
    )
    given = {name: value for name, value in (overrides or {}).items() if value is not None}
    if "state_dir" in given:
        given["state_dir"] = Path(given["state_dir"]).resolve()
    if "watch" in given:
        given["watch"] = tuple(Path(item).resolve() for item in given["watch"])
    return dataclasses.replace(settings, **given)
