"""ETags and the If-Match header.

An item's ETag is its revision number as a strong entity tag (``"3"``). ``If-Match`` is ``*`` (any
current version) or a list of entity tags; comparison is strong, so weak tags never match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runtime.errors import BadRequestError

MAX_ENTITY_TAGS = 20
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*')
_REVISION = re.compile(r"[1-9][0-9]{0,17}")
_DOCUMENTED_TAG = r'(W/)?"[\x21\x23-\x2b\x2d-\x7e]*"'
IF_MATCH_PATTERN = rf"^(\*|{_DOCUMENTED_TAG}( *, *{_DOCUMENTED_TAG}){{0,{MAX_ENTITY_TAGS - 1}}})$"
"""If-Match as the OpenAPI document states it: ``*`` or 1 to 20 entity tags of printable ASCII other
than ``"`` and ``,``, which :func:`parse_if_match` reads (it also takes a few more spellings)."""


@dataclass(frozen=True)
class IfMatch:
    """A parsed If-Match: ``versions`` is None for ``*``, else the revisions it accepts (maybe none)."""

    versions: frozenset[int] | None


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(header: str) -> IfMatch:
    """Parse an If-Match value; a malformed one is a 400 rather than a precondition that never holds."""
    if header.strip() == "*":
        return IfMatch(versions=None)
    versions: set[int] = set()
    tags = header.split(",")
    if len(tags) > MAX_ENTITY_TAGS:
        raise BadRequestError(f"If-Match lists more than {MAX_ENTITY_TAGS} entity tags.")
    for tag in tags:
        match = _ENTITY_TAG.fullmatch(tag)
        if match is None:
            raise BadRequestError('If-Match must be "*" or a list of quoted entity tags, e.g. "3".')
        weak, opaque = match.groups()
        if not weak and _REVISION.fullmatch(opaque):
            versions.add(int(opaque))
    return IfMatch(versions=frozenset(versions))
