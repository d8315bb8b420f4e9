"""docs/devloop.md's table of test directories: each folder of ``tests/`` with what its package docstring
says it tests (the first paragraph)."""

from __future__ import annotations

import ast
from pathlib import Path


def folders_of_tests(root: Path) -> list[tuple[str, str]]:
    """``(tests/<folder>/, first paragraph of its docstring)`` for every test package, by name."""
    found = []
    for package in sorted((root / "tests").glob("*/__init__.py")):
        docstring = ast.get_docstring(ast.parse(package.read_text())) or ""
        summary = " ".join(docstring.split("\n\n", 1)[0].split())
        found.append((f"tests/{package.parent.name}/", summary))
    return found


def folder_table(root: Path) -> str:
    rows = [
        f"| `{folder}` | {summary.replace('|', chr(92) + '|')} |"
        for folder, summary in folders_of_tests(root)
    ]
    return "\n".join(["| directory | tests |", "| --- | --- |", *rows])
