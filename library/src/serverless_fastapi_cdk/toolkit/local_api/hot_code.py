"""A function's code asset rebuilt from the source tree, so that a code change needs no synth.

The library's function bundler (``ApiFunction``) makes a code asset of one package folder: the
package's ``.py`` files under ``<package name>/`` and their bytecode, compiled by the target Python
with hash-based invalidation and the deployed location (``/var/task``) recorded as the source path.
:func:`code_source` recognises such an asset and finds the package it came from; :func:`rebuild`
makes the same asset again from the current sources, with the same bundling steps
(:mod:`serverless_fastapi_cdk.bundling`) and the bytecode settings read back from the synthesized
asset, so the new execution environments load what a deployment would: nothing but the package's
``.py`` files, and bytecode that Python does not re-validate.

A source that does not compile is copied without bytecode (where synthesis would stop): the import
then fails in the execution environment's INIT phase with ``Runtime.UserCodeSyntaxError``, as a
deployed syntax error would.
"""

from __future__ import annotations

import marshal
import py_compile
from dataclasses import dataclass
from pathlib import Path

from serverless_fastapi_cdk.bundling import compile_tree, copy_package, copy_runtime_half, package_sources

_INVALIDATION_MODES = {
    0: py_compile.PycInvalidationMode.TIMESTAMP,
    1: py_compile.PycInvalidationMode.UNCHECKED_HASH,
    3: py_compile.PycInvalidationMode.CHECKED_HASH,
}
"""The flags word of a ``.pyc`` header (PEP 552) for each invalidation mode."""


@dataclass(frozen=True, kw_only=True)
class Bytecode:
    """How the synthesized asset's bytecode was compiled."""

    invalidation_mode: py_compile.PycInvalidationMode
    deployed_at: str
    """The folder recorded as the sources' location (``/var/task``)."""


@dataclass(frozen=True, kw_only=True)
class CodeSource:
    """The package folder a code asset was bundled from, and how its bytecode was compiled."""

    package_dir: Path
    bytecode: Bytecode | None
    """None when the asset holds no bytecode."""


def _bytecode_of(bundled: Path) -> Bytecode | None:
    for compiled in sorted(bundled.rglob("__pycache__/*.pyc")):
        data = compiled.read_bytes()
        mode = _INVALIDATION_MODES.get(int.from_bytes(data[4:8], "little"))
        code = marshal.loads(data[16:])  # noqa: S302 (bytecode the project's own synth wrote)
        source = compiled.parent.parent / (compiled.name.split(".", 1)[0] + ".py")
        relative = source.relative_to(bundled.parent).as_posix()
        if mode is None or not code.co_filename.endswith("/" + relative):
            return None
        return Bytecode(invalidation_mode=mode, deployed_at=code.co_filename.removesuffix("/" + relative))
    return None


_RUNTIME_HALF = "serverless_fastapi_cdk"
"""The folder of the library's runtime half, which ``ApiFunction`` adds to every code asset."""
_NOT_SOURCES = frozenset({"node_modules", "cdk.out", "build", "dist", "__pycache__", "site-packages"})
_SEARCH_DEPTH = 4


def _candidates(project_root: Path, name: str) -> list[Path]:
    """Folders called ``name`` in the project: at its top first, then deeper (``src/``, ...)."""
    found = [project_root / name]
    level = [project_root]
    for _ in range(_SEARCH_DEPTH):
        deeper = []
        for folder in level:
            try:
                children = sorted(child for child in folder.iterdir() if child.is_dir())
            except OSError:
                continue
            for child in children:
                if child.name.startswith(".") or child.name in _NOT_SOURCES:
                    continue
                if child.name == name and child not in found:
                    found.append(child)
                deeper.append(child)
        level = deeper
    return [folder for folder in found if folder.is_dir()]


def code_source(code_dir: Path, project_root: Path) -> CodeSource | None:
    """The package of ``project_root`` that ``code_dir`` was bundled from, if it is such an asset.

    It is when the asset holds exactly one folder besides the library's runtime half, containing only
    ``.py`` files and their ``__pycache__``, and the project has a folder of that name holding every one
    of those ``.py`` files (looked for at the project's top, then up to four levels down).
    """
    entries = (
        [entry for entry in code_dir.iterdir() if entry.name != _RUNTIME_HALF] if code_dir.is_dir() else []
    )
    if len(entries) != 1 or not entries[0].is_dir():
        return None
    (bundled,) = entries
    for path in bundled.rglob("*"):
        in_cache = path.parent.name == "__pycache__" and path.suffix == ".pyc"
        if path.is_file() and path.suffix != ".py" and not in_cache:
            return None
    shipped = set(package_sources(bundled))
    for package_dir in _candidates(project_root, bundled.name):
        if shipped <= set(package_sources(package_dir)):
            return CodeSource(package_dir=package_dir, bytecode=_bytecode_of(bundled))
    return None


def syntax_errors(package_dir: Path) -> list[str]:
    """``path, line n: message`` for each of the package's sources that does not compile."""
    errors = []
    for relative in package_sources(package_dir):
        shown = f"{package_dir.name}/{relative.as_posix()}"
        try:
            compile((package_dir / relative).read_bytes(), shown, "exec", dont_inherit=True)
        except SyntaxError as error:
            errors.append(f"{shown}, line {error.lineno}: {error.msg} ({type(error).__name__})")
        except ValueError as error:
            errors.append(f"{shown}: {error}")
    return errors


def rebuild(source: CodeSource, destination: Path) -> list[str]:
    """Bundle ``source`` into ``destination`` (a new folder) as synthesis does; the syntax errors found.

    With syntax errors, the sources are copied without bytecode.
    """
    destination.mkdir(parents=True)
    copy_package(source.package_dir, destination)
    copy_runtime_half(destination)
    errors = syntax_errors(destination / source.package_dir.name)
    if source.bytecode is not None and not errors:
        compile_tree(
            destination,
            deployed_at=source.bytecode.deployed_at,
            invalidation_mode=source.bytecode.invalidation_mode,
        )
    return errors
