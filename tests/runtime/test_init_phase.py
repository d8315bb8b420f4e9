"""The handler's INIT runs with the garbage collector paused, and leaves it as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from runtime.init_phase import collector_paused


@pytest.fixture(autouse=True)
def collector_state() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if was_enabled:
        gc.enable()


def test_the_collector_is_off_inside_and_back_on_after_with_what_exists_frozen():
    gc.enable()
    gc.unfreeze()

    with collector_paused():
        inside = gc.isenabled()
        kept = [[index] for index in range(1000)]

    assert inside is False
    assert gc.isenabled() is True
    assert gc.get_freeze_count() >= len(kept)


def test_a_collector_that_was_off_stays_off():
    gc.disable()

    with collector_paused():
        pass

    assert gc.isenabled() is False


def test_the_collector_is_restored_when_init_fails():
    gc.enable()

    with pytest.raises(ImportError), collector_paused():
        raise ImportError("a dependency missing from the layer")

    assert gc.isenabled() is True
