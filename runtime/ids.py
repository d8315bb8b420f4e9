"""Item identifiers: ULIDs (26 Crockford base32 characters, millisecond time first).

Ids made by one process strictly increase, even within one millisecond, so the sort key orders a
user's items by creation. Ids from different Lambda instances in the same millisecond order randomly.
"""

from __future__ import annotations

import re
import secrets
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
ID_LENGTH = 26
ID_PATTERN = rf"^[0-9A-HJKMNP-TV-Z]{{{ID_LENGTH}}}$"
"""An item id, as the OpenAPI document states it (JSON Schema ``pattern``)."""
_ID_PATTERN = re.compile(ID_PATTERN.strip("^$"))


class _MonotonicUlid:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_random = 0

    def __call__(self) -> str:
        with self._lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms > self._last_ms:
                self._last_ms, self._last_random = now_ms, secrets.randbits(_RANDOM_BITS)
            else:
                self._last_random += 1
                if self._last_random >> _RANDOM_BITS:
                    self._last_ms, self._last_random = self._last_ms + 1, secrets.randbits(_RANDOM_BITS)
            value = (self._last_ms << _RANDOM_BITS) | self._last_random
        return "".join(_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))


new_item_id = _MonotonicUlid()
"""Return a new item id, greater than every id this process returned before."""


def is_item_id(value: str) -> bool:
    return _ID_PATTERN.fullmatch(value) is not None
