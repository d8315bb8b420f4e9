"""Hot reload for ``make run``: serve what changed in the source tree without a restart.

Two kinds of change, told apart by what the change can alter:

- **The function's code** (a ``.py`` file of a package that a function's code asset was bundled
  from, ``runtime/``): the asset is rebuilt from the sources as synthesis builds it
  (:mod:`toolkit.local_api.hot_code`, tens of milliseconds), later invocations get new execution
  environments with it, idle old ones end and busy ones finish their invocation first. One new
  environment is initialised at once, as Lambda occasionally does on demand, so the next request
  usually finds it warm; a syntax or import error shows there, on the console, and then as the INIT
  error of every request until the code is fixed.
- **The templates** (the synthesis inputs: ``cdk.json``, the app's entry script and the packages it
  imports, or what ``watch`` in ``[tool.sfcdk]`` names, and the modules of the code package that they
  import, such as a ``contract.py`` shared by the app and the service): the stage is
  synthesized again and served whole (:meth:`Emulator.reload`): routes, authorizers, functions and
  backing resources, keeping a table's items when its definition did not change. When synthesis or
  reading the assembly fails, the error is printed and the previous assembly stays served.

Each reload prints one ``reload`` line saying what changed, what was reloaded and how long it took.
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
import json
import shlex
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from serverless_fastapi_cdk.toolkit.local_api.assembly import StageAssembly
from serverless_fastapi_cdk.toolkit.local_api.emulator import Emulator
from serverless_fastapi_cdk.toolkit.local_api.hot_code import CodeSource, code_source, rebuild
from serverless_fastapi_cdk.toolkit.local_api.watch import PollingWatcher

_PROJECT_FILES = ("cdk.json", "pyproject.toml")


def default_synth_inputs(project_root: Path, app_command: str | None = None) -> list[Path]:
    """What a CDK app reads when nothing is configured: ``cdk.json``, ``pyproject.toml``, the app's entry
    script (the ``.py`` file of its app command), the project's packages that script imports, and the
    ``requirements*.txt`` files at the project's top."""
    if app_command is None:
        try:
            app_command = str(json.loads((project_root / "cdk.json").read_text()).get("app", ""))
        except (OSError, ValueError):
            app_command = ""
    scripts = [project_root / part for part in shlex.split(app_command) if part.endswith(".py")]
    inputs = [project_root / name for name in _PROJECT_FILES] + scripts
    for script in scripts:
        for name in _top_level_imports(script):
            for candidate in (project_root / name, project_root / f"{name}.py"):
                if candidate.exists() and candidate not in inputs:
                    inputs.append(candidate)
    inputs += sorted(project_root.glob("requirements*.txt"))
    return inputs


def _top_level_imports(script: Path) -> list[str]:
    try:
        tree = ast.parse(script.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module.split(".")[0])
    return sorted(set(names))


def _scripts(synth_inputs: Iterable[Path]) -> list[Path]:
    scripts: list[Path] = []
    for path in synth_inputs:
        if path.is_dir():
            scripts += sorted(path.rglob("*.py"))
        elif path.suffix == ".py":
            scripts.append(path)
    return scripts


def imported_modules(
    project_root: Path, packages: Iterable[str], synth_inputs: Iterable[Path] | None = None
) -> set[Path]:
    """The files of ``packages`` (folders of the project) that the synthesis inputs import (with their
    ``__init__.py``)."""
    wanted = set(packages)
    files: set[Path] = set()
    inputs = default_synth_inputs(project_root) if synth_inputs is None else synth_inputs
    for script in _scripts(inputs):
        try:
            tree = ast.parse(script.read_bytes())
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] in wanted:
                    files |= _module_files(project_root, parts)
    return files


def _module_files(project_root: Path, parts: list[str]) -> set[Path]:
    files = set()
    for depth in range(1, len(parts) + 1):
        folder = project_root.joinpath(*parts[:depth])
        files |= {folder / "__init__.py", folder.with_suffix(".py")}
    return {path for path in files if path.is_file()}


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()


def _shown(paths: Iterable[Path], root: Path) -> str:
    names = sorted(_relative(path, root) for path in paths)
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _since_save(paths: Iterable[Path]) -> str:
    """Seconds since the latest modification among ``paths`` (the save that triggered the reload)."""
    stamps = [path.stat().st_mtime for path in paths if path.exists()]
    return f", {time.time() - max(stamps):.2f} s after the save" if stamps else ""


class Reloader:
    """Watches the project's sources and reloads what changed into a running :class:`Emulator`."""

    def __init__(
        self,
        emulator: Emulator,
        *,
        project_root: Path,
        build_dir: Path,
        synthesize: Callable[[], StageAssembly] | None,
        synth_inputs: Sequence[Path] | None = None,
    ) -> None:
        """``build_dir`` receives rebuilt code assets; ``synthesize`` makes a new assembly of the stage
        (None: template changes are reported, not served); ``synth_inputs`` are the files and folders
        the CDK app reads (None: :func:`default_synth_inputs`)."""
        self._emulator = emulator
        self._console = emulator.console
        self._root = project_root
        self._synth_inputs = list(
            default_synth_inputs(project_root) if synth_inputs is None else synth_inputs
        )
        self._build_dir = build_dir
        self._synthesize = synthesize
        self._builds = itertools.count(1)
        self._sources: dict[str, CodeSource] = {}
        self._synth_modules: set[Path] = set()
        self._map_sources()
        packages = {source.package_dir for source in self._sources.values()}
        watched = self._synth_inputs + sorted(packages - set(self._synth_inputs))
        self.watcher = PollingWatcher(watched, self._changed)

    def start(self) -> None:
        shutil.rmtree(self._build_dir, ignore_errors=True)
        self.watcher.start()

    def stop(self) -> None:
        self.watcher.stop()
        shutil.rmtree(self._build_dir, ignore_errors=True)

    def watched(self) -> list[str]:
        """The watched files and folders, relative to the project."""
        return [
            _relative(path, self._root) + ("/" if path.is_dir() else "")
            for path in self.watcher.paths
            if path.exists()
        ]

    def _map_sources(self) -> None:
        self._sources = {
            logical_id: source
            for logical_id, pool in self._emulator.pools.items()
            if (source := code_source(pool.function.code_dir, self._root)) is not None
        }
        self._synth_modules = set()
        for source in self._sources.values():
            self._synth_modules |= imported_modules(
                source.package_dir.parent, [source.package_dir.name], self._synth_inputs
            )

    def _is_synth_input(self, path: Path) -> bool:
        """A synthesis input named as such, an imported module of a code package, or a file under a
        synthesis input folder outside the code packages."""
        if path in self._synth_modules or path in self._synth_inputs:
            return True
        if any(path.is_relative_to(source.package_dir) for source in self._sources.values()):
            return False
        return any(path == root or path.is_relative_to(root) for root in self._synth_inputs)

    def _changed(self, paths: set[Path]) -> None:
        try:
            self._reload(paths)
        except Exception as error:  # noqa: BLE001 (the watcher must survive any failed reload)
            self._console.reload(f"reload failed: {type(error).__name__}: {error}")

    def _reload(self, paths: set[Path]) -> None:
        synth_inputs = {path for path in paths if self._is_synth_input(path)}
        if synth_inputs:
            self._reload_templates(synth_inputs)
            return
        for logical_id, source in self._sources.items():
            code = {
                path for path in paths if path.suffix == ".py" and path.is_relative_to(source.package_dir)
            }
            if code:
                self._reload_code(logical_id, source, code)

    def _reload_code(self, logical_id: str, source: CodeSource, changed: set[Path]) -> None:
        started = time.monotonic()
        pool = self._emulator.pools[logical_id]
        destination = self._build_dir / logical_id.replace("/", "-") / str(next(self._builds))
        errors = rebuild(source, destination)
        draining = pool.replace(dataclasses.replace(pool.function, code_dir=destination))
        built_ms = (time.monotonic() - started) * 1000
        self._prune()
        what = f"{_shown(changed, self._root)} changed: {pool.function.name} rebuilt in {built_ms:.0f} ms"
        if draining:
            what += f", {draining} busy environment(s) of the old code finish first"
        if errors:
            self._console.reload(
                f"{what}; it does not compile: {'; '.join(errors)}. Requests fail INIT "
                "(Runtime.UserCodeSyntaxError) until it is fixed"
            )
            return
        init = pool.prewarm()
        if isinstance(init, dict):
            self._console.reload(
                f"{what}; INIT failed: {init['errorType']}: {init['errorMessage']}. "
                "Requests fail INIT until it is fixed"
            )
            return
        ready = f"new environment initialised in {init:.0f} ms" if init is not None else "new environments"
        self._console.reload(f"{what}; {ready}; serving it{_since_save(changed)}")

    def _reload_templates(self, changed: set[Path]) -> None:
        what = _shown(changed, self._root)
        if self._synthesize is None:
            self._console.reload(
                f"{what} changed: restart to serve it (this emulator serves a fixed assembly)"
            )
            return
        stage = self._emulator.assembly.label
        self._console.reload(f"{what} changed: synthesizing {stage} again ...")
        started = time.monotonic()
        before = self._route_keys()
        try:
            assembly = self._synthesize()
            tables = self._emulator.reload(assembly)
        except Exception as error:  # noqa: BLE001 (any failure leaves the previous assembly served)
            self._console.reload(
                f"synthesis or reload failed after {time.monotonic() - started:.1f} s; "
                f"still serving the previous assembly:\n{error}"
            )
            return
        self._map_sources()
        self._prune()
        after = self._route_keys()
        routes = [f"+{key}" for key in sorted(after - before)] + [f"-{key}" for key in sorted(before - after)]
        parts = [f"{len(after)} routes" + (f" ({', '.join(routes)})" if routes else "")]
        for label, names in (
            ("tables kept", tables.kept),
            ("created", tables.created),
            ("recreated empty (definition changed)", tables.recreated),
            ("deleted", tables.deleted),
        ):
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        self._console.reload(
            f"{stage} reloaded in {time.monotonic() - started:.1f} s{_since_save(changed)}: "
            + "; ".join(parts)
        )

    def _route_keys(self) -> set[str]:
        apis = self._emulator.app.apis
        prefix = len(apis) > 1
        return {
            f"{api.name}: {route.route_key}" if prefix else route.route_key
            for api in apis
            for route in api.routes
        }

    def _prune(self) -> None:
        """Delete rebuilt code that neither the current functions nor running environments use."""
        in_use = self._emulator.code_dirs_in_use()
        for build in self._build_dir.glob("*/*"):
            if build not in in_use:
                shutil.rmtree(build, ignore_errors=True)
