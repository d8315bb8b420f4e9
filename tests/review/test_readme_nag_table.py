"""The README's cdk-nag table lists exactly the acknowledgements the app carries, on the constructs that
carry them, so that it cannot drift from the code again.

cdk-nag acknowledgements are construct metadata, read as ``tests/app/test_nag.py`` reads them
(``tests.support.cdk_synthesis.acknowledgements``). The alarm topic's dead-letter queue (and its
acknowledgements) exists only with notification subscribers, which no environment configures: a second
app, built with subscribers but not synthesized, brings them in.
"""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import product
from pathlib import Path

from aws_cdk import App

import app as cdk_entry
from cdk_app.config import ENVIRONMENTS
from cdk_app.constructs.monitoring import NotificationSettings
from cdk_app.stacks.stateless import PATTERN_ID
from tests.support.cdk_synthesis import ROOT, SynthesizedApp, acknowledgements, cdk_json_context

README = ROOT / "README.md"
SECTION = "### cdk-nag"

type Placement = tuple[str, str]
"""``(finding id, construct path inside its stack)``, e.g. ``("AwsSolutions-L1", "Api/Function")``."""


def acknowledged(app: App) -> set[Placement]:
    """Each acknowledgement's finding and construct path below ``<stage>/<stack>/``, without the pattern
    construct's ``Default`` id (hidden from logical IDs too, cdk_app/stacks/stateless.py)."""
    return {
        (ack.rule, path[2].removeprefix(f"{PATTERN_ID}/"))
        for ack in acknowledgements(app)
        if len(path := ack.path.split("/", 2)) == 3
    }


def app_with_notification_subscribers() -> App:
    subscribers = NotificationSettings(
        emails=("oncall@example.com",), https_urls=("https://example.com/hook",)
    )
    app = App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": []})
    cdk_entry.build(
        app, environments=tuple(replace(config, notifications=subscribers) for config in ENVIRONMENTS)
    )
    return app


def readme_rows(readme: Path = README) -> list[list[str]]:
    """The cells of each body row of the table in the README's cdk-nag subsection."""
    section = readme.read_text().split(f"\n{SECTION}\n", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    cells = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]
    return [row for row in cells if row[0] != "finding" and set(row[0]) != {"-"}]


def documented(rows: list[list[str]]) -> set[Placement]:
    """Every (finding, construct) a row names: each finding of the row on each construct of the row."""
    return {
        placement
        for findings, constructs, _reason in rows
        for placement in product(re.findall(r"`([^`]+)`", findings), re.findall(r"`([^`]+)`", constructs))
    }


def test_the_readme_table_lists_exactly_the_acknowledgements_of_the_app(
    synthesized_app: SynthesizedApp,
) -> None:
    carried = acknowledged(synthesized_app.app) | acknowledged(app_with_notification_subscribers())

    assert sorted(documented(readme_rows())) == sorted(carried)


def test_every_row_gives_a_reason() -> None:
    rows = readme_rows()

    assert rows
    assert all(len(row) == 3 and len(row[2]) >= 20 for row in rows), rows


def test_the_subscribers_bring_the_dead_letter_queue_acknowledgements(
    synthesized_app: SynthesizedApp,
) -> None:
    """Without the second app the table's dead-letter-queue rows would have nothing to match."""
    only_with_subscribers = acknowledged(app_with_notification_subscribers()) - acknowledged(
        synthesized_app.app
    )

    assert {rule for rule, _ in only_with_subscribers} == {"AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"}
