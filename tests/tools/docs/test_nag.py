"""The cdk-nag table of docs/infrastructure.md states exactly the acknowledgements the app's constructs
carry, every finding of a row on every construct of the row."""

from __future__ import annotations

import html
import re
from itertools import product

from tests.support.cdk_synthesis import SynthesizedApp
from tools.docs.nag import Acknowledgement, acknowledgements, nag_table
from tools.docs.pages import Sources


def placements(table: str) -> set[tuple[str, str, str]]:
    """``(finding, construct, reason)`` of each finding on each construct a row of ``table`` names."""
    found = set()
    for line in table.splitlines()[2:]:
        findings, constructs, reason = (cell.strip() for cell in line.strip("|").split(" | "))
        for rule, path in product(re.findall(r"`([^`]+)`", findings), re.findall(r"`([^`]+)`", constructs)):
            found.add((rule, path, html.unescape(reason).replace("\\|", "|")))
    return found


def test_the_table_states_every_acknowledgement_and_nothing_else(docs_sources: Sources) -> None:
    table = nag_table(docs_sources.acknowledgements)

    assert placements(table) == {(ack.rule, ack.path, ack.reason) for ack in docs_sources.acknowledgements}


def test_rows_group_only_what_shares_a_reason() -> None:
    table = nag_table(
        {
            Acknowledgement("Api/Function", "L1", "pinned runtime"),
            Acknowledgement("Hook", "L1", "pinned runtime"),
            Acknowledgement("Hook", "DLQ", "invoked once"),
        }
    )

    assert table.splitlines()[2:] == [
        "| `L1` | `Api/Function`, `Hook` | pinned runtime |",
        "| `DLQ` | `Hook` | invoked once |",
    ]


def test_the_app_with_subscribers_covers_the_app_as_deployed(
    synthesized_app: SynthesizedApp, docs_sources: Sources
) -> None:
    deployed = acknowledgements(synthesized_app.app)

    assert deployed <= docs_sources.acknowledgements
    assert {ack.rule for ack in docs_sources.acknowledgements - deployed} == {
        "AwsSolutions-SQS3",
        "Serverless-SQSRedrivePolicy",
    }


def test_every_acknowledgement_gives_a_reason(docs_sources: Sources) -> None:
    assert docs_sources.acknowledgements
    assert all(len(ack.reason) >= 20 for ack in docs_sources.acknowledgements)
