"""The README's table of commands: every Makefile target with a ``## `` description, as ``make help``
lists them."""

from __future__ import annotations

import re
from pathlib import Path

from tools.docs.markdown import plain_cell

_TARGET = re.compile(r"^([a-z][a-z-]*):.*?## (.+)$")


def make_targets(makefile: Path) -> list[tuple[str, str]]:
    """``(target, description)`` in the Makefile's order."""
    return [
        (match.group(1), match.group(2).strip())
        for line in makefile.read_text().splitlines()
        if (match := _TARGET.match(line))
    ]


def commands_table(makefile: Path) -> str:
    rows = [
        f"| `make {target}` | {plain_cell(description)} |" for target, description in make_targets(makefile)
    ]
    return "\n".join(["| command | what it does |", "| --- | --- |", *rows])
