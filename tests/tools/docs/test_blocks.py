"""tools/docs/blocks.py: a generated block is found by its markers and replaced without touching the rest."""

from __future__ import annotations

import pytest

from tools.docs.blocks import BlockError, begin_marker, block, end_marker, with_block

PAGE = f"# Title\n\nprose before\n\n{begin_marker('table')}\nold\n{end_marker('table')}\n\nprose after\n"


def test_a_block_is_replaced_and_the_prose_around_it_kept() -> None:
    updated = with_block(PAGE, "table", "| new |")

    assert block(updated, "table") == "| new |"
    assert updated.startswith("# Title\n\nprose before\n\n")
    assert updated.endswith(f"{end_marker('table')}\n\nprose after\n")


def test_writing_the_same_content_twice_changes_nothing() -> None:
    once = with_block(PAGE, "table", "| new |")

    assert with_block(once, "table", "| new |") == once


@pytest.mark.parametrize(
    "text",
    [
        "no markers at all",
        f"{begin_marker('table')}\nno end",
        f"{end_marker('table')}\n{begin_marker('table')}",
        f"{begin_marker('table')}\n{end_marker('table')}\n{begin_marker('table')}\n{end_marker('table')}",
    ],
)
def test_missing_repeated_or_reversed_markers_are_refused(text: str) -> None:
    with pytest.raises(BlockError, match="table"):
        with_block(text, "table", "x")


def test_another_blocks_markers_do_not_count() -> None:
    with pytest.raises(BlockError):
        block(PAGE, "alarms")
