"""Opaque, HMAC-signed pagination cursors bound to the caller.

A cursor names the last item of a page. Its MAC covers the caller's identity, so a cursor only
verifies for the user it was issued to: a tampered or foreign cursor is rejected before any read.
(Even a verified cursor only positions a Query inside the caller's own partition.)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from runtime.errors import InvalidCursorError
from runtime.ids import is_item_id

_VERSION = "v1"
_DOMAIN = b"items-cursor/v1"
MAX_CURSOR_LENGTH = 128
_LAST_OF_TWO_BITS_SHORT = "[AEIMQUYcgkosw048]"
"""The last character of unpadded base64url when the data's bit count leaves it 4 bits (2 unused)."""
_ID_PART = rf"[A-Za-z0-9_-]{{34}}{_LAST_OF_TWO_BITS_SHORT}"
_MAC_PART = rf"[A-Za-z0-9_-]{{42}}{_LAST_OF_TWO_BITS_SHORT}"
CURSOR_PATTERN = rf"^{_VERSION}\.{_ID_PART}\.{_MAC_PART}$"
"""Every cursor the service issues: version, the 26-byte item id and the 32-byte HMAC in canonical
unpadded base64url (35 and 43 characters), as the OpenAPI document states it."""
CURSOR_LENGTH = len(_VERSION) + 1 + 35 + 1 + 43


def encode_cursor(*, owner: str, after_id: str, key: bytes) -> str:
    payload = after_id.encode()
    return ".".join((_VERSION, _b64encode(payload), _b64encode(_mac(key, owner, payload))))


def decode_cursor(cursor: str, *, owner: str, key: bytes) -> str:
    """Return the item id a cursor continues after, or raise :class:`InvalidCursorError`."""
    parts = cursor.split(".") if len(cursor) <= MAX_CURSOR_LENGTH else []
    if len(parts) != 3 or parts[0] != _VERSION:
        raise InvalidCursorError
    try:
        payload, mac = _b64decode(parts[1]), _b64decode(parts[2])
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursorError from exc
    if not hmac.compare_digest(mac, _mac(key, owner, payload)):
        raise InvalidCursorError
    after_id = payload.decode("ascii", errors="replace")
    if not is_item_id(after_id):
        raise InvalidCursorError
    return after_id


def _mac(key: bytes, owner: str, payload: bytes) -> bytes:
    message = b"\x00".join((_DOMAIN, owner.encode(), payload))
    return hmac.new(key, message, hashlib.sha256).digest()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Decode unpadded base64url, accepting only the one canonical spelling of each value."""
    if not text.isascii():
        raise ValueError("cursor is not ASCII")
    decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64encode(decoded) != text:
        raise ValueError("cursor is not canonical base64url")
    return decoded
