"""The README's command table lists every Makefile target with a description, and the README names only
commands that exist."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.cdk_synthesis import ROOT
from tools.docs.blocks import block
from tools.docs.commands import commands_table, make_targets

DOC_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_described_target_is_a_row(tmp_path: Path) -> None:
    makefile = tmp_path / "Makefile"
    makefile.write_text(
        "VAR := 1\n.PHONY: a\nrun: setup ## Serve it | locally on <port>\n\t@echo run\n"
        "hidden:\n\ttrue\ntest: ## Run the tests\n"
    )

    assert make_targets(makefile) == [("run", "Serve it | locally on <port>"), ("test", "Run the tests")]
    assert commands_table(makefile).splitlines()[2:] == [
        "| `make run` | Serve it \\| locally on &lt;port> |",
        "| `make test` | Run the tests |",
    ]


def test_the_readme_lists_the_two_commands_and_make_docs() -> None:
    table = block((ROOT / "README.md").read_text(), "commands")

    for target in ("run", "test", "check", "docs", "deploy"):
        assert f"| `make {target}` |" in table


def test_every_make_command_the_docs_name_exists() -> None:
    targets = {target for target, _ in make_targets(ROOT / "Makefile")} | {"setup", "pytest"}
    named = {
        (page.name, match)
        for page in DOC_PAGES
        for match in re.findall(r"`make (?:-s )?([a-z][a-z-]*)", page.read_text())
    }

    assert {(page, target) for page, target in named if target not in targets} == set()


def test_ci_runs_the_readmes_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
