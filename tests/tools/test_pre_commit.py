""".pre-commit-config.yaml runs exactly the lint and type checks of ``make check``."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def prerequisites(target: str) -> set[str]:
    """The targets ``target`` depends on, from its rule line."""
    (rule,) = [line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith(f"{target}:")]
    return set(rule.split(":", 1)[1].split("##", 1)[0].split())


def recipe(target: str) -> list[str]:
    """The commands of a Makefile target, with the venv variable spelled out."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(f"{target}:"))
    commands = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        commands.append(line.strip().replace("$(VENV)", ".venv"))
    return commands


def test_the_hooks_run_the_commands_of_make_lint_and_make_typecheck():
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    entries = re.findall(r"^\s+entry: (.+)$", config, flags=re.MULTILINE)

    assert entries == [*recipe("lint"), *recipe("typecheck")]
    assert {"lint", "typecheck"} <= prerequisites("check")
    assert config.count("pass_filenames: false") == len(entries)
