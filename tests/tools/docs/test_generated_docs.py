"""Every generated part of the docs is what ``make docs`` writes from the code as it is now.

The pages are regenerated from the session's synthesized app and compared with the committed files: a
change to the alarms, the cdk-nag acknowledgements, the Makefile's commands or the stage's resources
that is not followed by ``make docs`` fails here, naming the stale files.
"""

from __future__ import annotations

from tests.support.cdk_synthesis import ROOT
from tools.docs.blocks import block
from tools.docs.pages import BLOCKS, DIAGRAM, Sources, generated


def test_the_committed_docs_are_what_make_docs_generates(docs_sources: Sources) -> None:
    pages = generated(docs_sources)

    stale = sorted(str(path) for path, content in pages.items() if (ROOT / path).read_text() != content)

    assert not stale, f"run `make docs`; these differ from what the code generates: {', '.join(stale)}"


def test_make_docs_writes_every_block_and_the_picture(docs_sources: Sources) -> None:
    pages = generated(docs_sources)

    assert DIAGRAM in pages
    for page, name, _ in BLOCKS:
        assert block(pages[page], name).startswith(("|", "Cells")), (page, name)


def test_text_outside_the_blocks_is_left_as_it_is(docs_sources: Sources) -> None:
    for page, text in generated(docs_sources).items():
        if page == DIAGRAM:
            continue
        committed = (ROOT / page).read_text()
        names = [name for block_page, name, _ in BLOCKS if block_page == page]
        for name in names:
            text = text.replace(block(text, name), "")
            committed = committed.replace(block(committed, name), "")
        assert text == committed, page
