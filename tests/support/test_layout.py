"""docs/devloop.md's table of test directories is the tree: no directory undocumented, none stale."""

from __future__ import annotations

import re

from tests.support.cdk_synthesis import ROOT

TESTS = ROOT / "tests"


def documented_directories() -> set[str]:
    text = (ROOT / "docs" / "devloop.md").read_text()
    section = text.split("## Where the tests are", 1)[1].split("\n## ", 1)[0]
    return {match.split("/")[1] for match in re.findall(r"^\| `(tests/[^`]+)/` \|", section, re.MULTILINE)}


def test_every_test_directory_is_documented_and_exists() -> None:
    on_disk = {path.name for path in TESTS.iterdir() if path.is_dir() and (path / "__init__.py").is_file()}
    assert documented_directories() == on_disk


def test_no_test_module_sits_at_the_top_of_tests() -> None:
    assert sorted(path.name for path in TESTS.glob("test_*.py")) == []
