"""Hot reload for ``make run``: serve what changed in the source tree without a restart.

Two kinds of change, told apart by what the change can alter:

- **The function's code** (a ``.py`` file of a package that a function's code asset was bundled
  from, ``runtime/``): the asset is rebuilt from the sources as synthesis builds it
  (:mod:`tools.local_api.hot_code`, tens of milliseconds), later invocations get new execution
  environments with it, idle old ones end and busy ones finish their invocation first. One new
  environment is initialised at once, as Lambda occasionally does on demand, so the next request
  usually finds it warm; a syntax or import error shows there, on the console, and then as the INIT
  error of every request until the code is fixed.
- **The templates** (``cdk_app/``, ``app.py``, ``cdk.json``, the files the CDK app reads, and the
  modules of the code package that it imports, such as ``runtime/contract.py``): the stage is
  synthesized again and served whole (:meth:`Emulator.reload`): routes, authorizers, functions and
  backing resources, keeping a table's items when its definition did not change. When synthesis or
  reading the assembly fails, the error is printed and the previous assembly stays served.

Each reload prints one ``reload`` line saying what changed, what was reloaded and how long it took.
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from tools.local_api.assembly import StageAssembly
from tools.local_api.emulator import Emulator
from tools.local_api.hot_code import CodeSource, code_source, rebuild
from tools.local_api.watch import PollingWatcher

SYNTH_INPUTS = ("app.py", "cdk.json", "cdk_app", "pyproject.toml", "runtime/requirements.txt")
"""What the CDK app reads besides the code modules it imports (app.py: the project version and the
layer's requirements)."""


def imported_modules(project_root: Path, packages: Iterable[str]) -> set[Path]:
    """The files of ``packages`` that ``app.py`` and ``cdk_app/`` import (with their ``__init__.py``)."""
    wanted = set(packages)
    files: set[Path] = set()
    for script in [project_root / "app.py", *sorted((project_root / "cdk_app").rglob("*.py"))]:
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


def _shown(paths: Iterable[Path], root: Path) -> str:
    names = sorted(path.relative_to(root).as_posix() for path in paths)
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
    ) -> None:
        """``build_dir`` receives rebuilt code assets; ``synthesize`` makes a new assembly of the stage
        (None: template changes are reported, not served)."""
        self._emulator = emulator
        self._console = emulator.console
        self._root = project_root
        self._build_dir = build_dir
        self._synthesize = synthesize
        self._builds = itertools.count(1)
        self._sources: dict[str, CodeSource] = {}
        self._synth_modules: set[Path] = set()
        self._map_sources()
        packages = {source.package_dir for source in self._sources.values()}
        watched = [project_root / name for name in SYNTH_INPUTS] + sorted(packages)
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
            path.relative_to(self._root).as_posix() + ("/" if path.is_dir() else "")
            for path in self.watcher.paths
            if path.exists()
        ]

    def _map_sources(self) -> None:
        self._sources = {
            logical_id: source
            for logical_id, pool in self._emulator.pools.items()
            if (source := code_source(pool.function.code_dir, self._root)) is not None
        }
        packages = {source.package_dir.name for source in self._sources.values()}
        self._synth_modules = imported_modules(self._root, packages)

    def _is_synth_input(self, path: Path) -> bool:
        roots = [self._root / name for name in SYNTH_INPUTS]
        return path in self._synth_modules or any(path == root or path.is_relative_to(root) for root in roots)

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
        destination = self._build_dir / logical_id / str(next(self._builds))
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
        stage = self._emulator.assembly.stage
        self._console.reload(f"{what} changed: synthesizing stage {stage!r} again ...")
        started = time.monotonic()
        before = {route.route_key for route in self._emulator.app.api.routes}
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
        after = {route.route_key for route in self._emulator.app.api.routes}
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
            f"stage {stage!r} reloaded in {time.monotonic() - started:.1f} s{_since_save(changed)}: "
            + "; ".join(parts)
        )

    def _prune(self) -> None:
        """Delete rebuilt code that neither the current functions nor running environments use."""
        in_use = self._emulator.code_dirs_in_use()
        for build in self._build_dir.glob("*/*"):
            if build not in in_use:
                shutil.rmtree(build, ignore_errors=True)
