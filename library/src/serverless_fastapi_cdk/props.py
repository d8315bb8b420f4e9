"""What every props type of the library shares: one error type, raised when a prop cannot work.

A construct checks all of its props before it creates anything and reports every problem at once
(:class:`Problems`); each problem names the field (``"<Type>.<field>: <what is wrong>"``).
"""

from __future__ import annotations

import ast
from pathlib import Path


class PropsError(ValueError):
    """Props that cannot be deployed; :attr:`problems` lists each, naming its field."""

    def __init__(self, *problems: str) -> None:
        self.problems: tuple[str, ...] = problems
        if len(problems) == 1:
            super().__init__(problems[0])
        else:
            super().__init__(f"{len(problems)} problems:\n" + "\n".join(f"- {p}" for p in problems))


def require(condition: bool, where: str, message: str) -> None:
    """Raise :class:`PropsError` ``"<where>: <message>"`` unless ``condition`` holds."""
    if not condition:
        raise PropsError(f"{where}: {message}")


class Problems:
    """The problems found in a construct's props, raised together by :meth:`raise_any`."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def require(self, condition: bool, where: str, message: str) -> None:
        if not condition:
            self.found.append(f"{where}: {message}")

    def extend(self, problems: list[str]) -> None:
        self.found.extend(problems)

    def raise_any(self) -> None:
        if self.found:
            raise PropsError(*dict.fromkeys(self.found))


MAX_HTTP_API_TIMEOUT_SECONDS = 29
"""An HTTP API gives up on its integration after 30 s: a longer function timeout only burns money."""
LAMBDA_MEMORY_MB = range(128, 10241)


def handler_problems(package_dir: Path, handler: str, where: str) -> list[str]:
    """Why ``handler`` (``"<package>.<module>.<callable>"``) is not a callable of the package at
    ``package_dir``, found from its source (the package's dependencies need not be installed)."""
    if not package_dir.is_dir():
        return [f"{where}.package_dir: {package_dir} is not a folder"]
    module_path, _, name = handler.rpartition(".")
    parts = module_path.split(".") if module_path else []
    if not parts or parts[0] != package_dir.name or not name.isidentifier():
        return [f"{where}.handler: {handler!r} is not '<{package_dir.name}>.<module>.<function>'"]
    base = package_dir.joinpath(*parts[1:])
    source = next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)
    if source is None:
        return [f"{where}.handler: {handler!r} names module {module_path!r}, which is not in {package_dir}"]
    problem = entry_point_problem(source, name)
    return [f"{where}.handler: {handler!r}: {problem}"] if problem else []


def entry_point_problem(source: Path, name: str) -> str | None:
    """Why ``source`` does not compile or define ``name`` at its top level (``None``: it does)."""
    try:
        tree = ast.parse(source.read_bytes(), filename=str(source))
    except SyntaxError as error:
        return f"{source.name} does not compile (line {error.lineno}: {error.msg})"
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
            return None
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            return None
        if isinstance(node, ast.ImportFrom | ast.Import) and any(
            (alias.asname or alias.name) == name for alias in node.names
        ):
            return None
    return f"{source.name} defines no top-level {name!r}"


def https_url_problem(url: str, where: str) -> str | None:
    """Why ``url`` is not an https URL; a token CloudFormation resolves passes unless it starts http://."""
    from aws_cdk import Token  # here, so that PropsError stays importable without the CDK

    if url.startswith("https://") or (Token.is_unresolved(url) and not url.startswith("http://")):
        return None
    return f"{where}: {url!r} must be an https:// URL"
