"""Parsing If-Match."""

from __future__ import annotations

import pytest

from runtime.errors import BadRequestError
from runtime.preconditions import MAX_ENTITY_TAGS, IfMatch, etag, parse_if_match


@pytest.mark.parametrize(
    ("header", "versions"),
    [
        ("*", None),
        (" * ", None),
        ('"3"', frozenset({3})),
        ('"3", "5",W/"7"', frozenset({3, 5})),
        ('W/"3"', frozenset()),
        ('"0", "-1", "abc", "03", ""', frozenset()),
        ('"1234567890123456789"', frozenset()),
    ],
)
def test_if_match_names_the_revisions_it_accepts(header: str, versions: frozenset[int] | None) -> None:
    assert parse_if_match(header) == IfMatch(versions=versions)


@pytest.mark.parametrize("header", ["", "3", '"3', "W/3", '"3" "4"', '"3",', '*, "3"'])
def test_malformed_if_match_is_a_bad_request(header: str) -> None:
    with pytest.raises(BadRequestError):
        parse_if_match(header)


def test_too_many_entity_tags_is_a_bad_request() -> None:
    with pytest.raises(BadRequestError):
        parse_if_match(", ".join(f'"{n}"' for n in range(1, MAX_ENTITY_TAGS + 2)))


def test_etag_is_the_quoted_version() -> None:
    assert etag(12) == '"12"'
    assert parse_if_match(etag(12)) == IfMatch(versions=frozenset({12}))
