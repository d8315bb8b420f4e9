"""Item ids: ULIDs that sort in creation order."""

from __future__ import annotations

import time

import pytest

from runtime.ids import is_item_id, new_item_id


def test_ids_made_in_a_burst_strictly_increase() -> None:
    made = [new_item_id() for _ in range(5000)]

    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert all(is_item_id(item_id) for item_id in made)


def test_ids_still_increase_when_the_clock_goes_back(monkeypatch: pytest.MonkeyPatch) -> None:
    before = new_item_id()
    a_minute_ago = time.time_ns() - 60_000_000_000
    monkeypatch.setattr(time, "time_ns", lambda: a_minute_ago)

    after = new_item_id()

    assert after > before


def test_the_id_starts_with_the_creation_time() -> None:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    before_ms = time.time_ns() // 1_000_000
    item_id = new_item_id()
    after_ms = time.time_ns() // 1_000_000

    encoded_ms = 0
    for character in item_id[:10]:
        encoded_ms = encoded_ms * 32 + alphabet.index(character)

    assert before_ms <= encoded_ms <= after_ms


@pytest.mark.parametrize(
    "value", ["", "01ARZ3NDEKTSV4RRFFQ69G5FA", "01ARZ3NDEKTSV4RRFFQ69G5FAVV", "01ARZ3NDEKTSV4RRFFQ69G5FAI"]
)
def test_strings_that_are_not_ids(value: str) -> None:
    assert not is_item_id(value)
