"""The tests' layout: every folder of ``tests/`` a package that says what it tests, and docs/devloop.md's
table of them the one ``make docs`` generates from those docstrings."""

from __future__ import annotations

from tests.support.cdk_synthesis import ROOT
from tools.docs.blocks import block
from tools.docs.tests_table import folder_table, folders_of_tests

TESTS = ROOT / "tests"


def test_every_test_folder_is_a_package_that_says_what_it_tests() -> None:
    folders = {path.name for path in TESTS.iterdir() if path.is_dir() and path.name != "__pycache__"}
    described = dict(folders_of_tests(ROOT))

    assert {f"tests/{name}/" for name in folders} == set(described)
    assert all(described.values()), described


def test_the_devloop_table_of_test_folders_is_the_generated_one() -> None:
    assert block((ROOT / "docs" / "devloop.md").read_text(), "test-directories") == folder_table(ROOT)


def test_no_test_module_sits_at_the_top_of_tests() -> None:
    assert sorted(path.name for path in TESTS.glob("test_*.py")) == []
