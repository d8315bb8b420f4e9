"""Every relative link of the README and the docs pages leads to a file of the repository, and every
``#anchor`` to a heading of the page it names (GitHub's heading ids)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.cdk_synthesis import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def heading_ids(page: Path) -> set[str]:
    """GitHub's ids of ``page``'s headings: lower case, punctuation but ``-`` and ``_`` dropped, spaces
    as ``-``."""
    ids = set()
    in_code = False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (match := re.match(r"#{1,6} (.+)", line)):
            ids.add(re.sub(r"[^\w\- ]", "", match.group(1).lower()).replace(" ", "-"))
    return ids


def links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in heading_ids(linked)):
            broken.append(target)

    assert broken == []


def test_heading_ids_follow_github(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# A page\n\n## A 500 from a `Content-Length`\n\n```\n# not a heading\n```\n\n"
        "### CORS preflight, and the_routes it-takes?\n"
    )

    assert heading_ids(page) == {
        "a-page",
        "a-500-from-a-content-length",
        "cors-preflight-and-the_routes-it-takes",
    }
