"""Reading ``python -v``: where each module's code object came from."""

from __future__ import annotations

import re

CODE_OBJECT = re.compile(r"^# code object from (?P<quote>'?)(?P<path>.+)(?P=quote)$")


def code_objects(trace: str) -> list[tuple[str, str]]:
    """``(path, "bytecode" | "source")`` for every code object a ``python -v`` trace reports."""
    found = []
    for line in trace.splitlines():
        match = CODE_OBJECT.match(line)
        if match:
            path = match.group("path")
            found.append((path, "bytecode" if path.endswith(".pyc") else "source"))
    return found
