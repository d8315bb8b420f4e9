"""Cursor signing: only the issuing caller's untouched cursor verifies."""

from __future__ import annotations

import pytest

from runtime.cursors import MAX_CURSOR_LENGTH, decode_cursor, encode_cursor
from runtime.errors import InvalidCursorError
from runtime.ids import new_item_id

KEY = b"k" * 32


def test_a_cursor_round_trips_for_its_owner() -> None:
    item_id = new_item_id()

    cursor = encode_cursor(owner="alice", after_id=item_id, key=KEY)

    assert decode_cursor(cursor, owner="alice", key=KEY) == item_id
    assert item_id not in cursor
    assert len(cursor) <= MAX_CURSOR_LENGTH


@pytest.mark.parametrize(
    ("owner", "key"),
    [("bob", KEY), ("alice ", KEY), ("alice", b"j" * 32)],
    ids=["other owner", "near-identical owner", "other key"],
)
def test_a_cursor_does_not_verify_for_another_owner_or_key(owner: str, key: bytes) -> None:
    cursor = encode_cursor(owner="alice", after_id=new_item_id(), key=KEY)

    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor, owner=owner, key=key)


def test_every_single_character_change_is_rejected() -> None:
    cursor = encode_cursor(owner="alice", after_id=new_item_id(), key=KEY)

    for position, character in enumerate(cursor):
        if character == ".":
            continue
        replacement = "B" if character != "B" else "C"
        forged = cursor[:position] + replacement + cursor[position + 1 :]
        with pytest.raises(InvalidCursorError):
            decode_cursor(forged, owner="alice", key=KEY)


def test_a_signed_payload_that_is_not_an_item_id_is_rejected() -> None:
    cursor = encode_cursor(owner="alice", after_id="ITEM#../../etc", key=KEY)

    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor, owner="alice", key=KEY)
