"""The cdk-nag table of docs/infrastructure.md: every acknowledgement the app's constructs carry.

Acknowledgements are construct metadata (``Validations.of(x).acknowledge``), read from an app built but
not synthesized. The alarm topic's dead-letter queue, and its acknowledgements, exist only with
notification subscribers, which no environment configures by default: the app is built with subscribers
given as CDK context (``<env>:alarm_emails``, ``<env>:alarm_https_urls``), as ``make deploy`` can give them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations

import app as cdk_entry
from cdk_app.config import ENVIRONMENTS
from tools.docs.markdown import plain_cell

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, order=True)
class Acknowledgement:
    """One finding acknowledged on one construct, ``path`` below ``<stage>/<stack>/``."""

    path: str
    rule: str
    reason: str


def subscriber_context() -> dict[str, Any]:
    """cdk.json's context, with a subscriber of each kind for every environment and no asset bundling."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    for config in ENVIRONMENTS:
        context[f"{config.name}:alarm_emails"] = "oncall@example.com"
        context[f"{config.name}:alarm_https_urls"] = "https://example.com/hook"
    return {**context, "aws:cdk:bundling-stacks": []}


def app_with_subscribers() -> App:
    app = App(context=subscriber_context())
    cdk_entry.build(app)
    return app


def acknowledgements(app: App) -> set[Acknowledgement]:
    """Each acknowledgement of the app's stacks, by construct path inside its stack."""
    found = set()
    for construct in app.node.find_all():
        parts = construct.node.path.split("/", 2)
        if len(parts) != 3:
            continue
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in entry.data.items():
                    found.add(Acknowledgement(parts[2], rule.removeprefix("Annotation::"), reason))
    return found


def nag_table(found: set[Acknowledgement]) -> str:
    """One row per reason and set of findings: every finding of a row is acknowledged on every construct
    of the row (the same in every environment that has the construct)."""
    by_reason: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for acknowledgement in found:
        by_reason[acknowledgement.reason][acknowledgement.path].add(acknowledgement.rule)
    rows: list[tuple[list[str], tuple[str, ...], str]] = []
    for reason, rules_by_path in by_reason.items():
        paths_by_rules: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for path, acknowledged in rules_by_path.items():
            paths_by_rules[tuple(sorted(acknowledged))].append(path)
        rows.extend((sorted(paths), found_rules, reason) for found_rules, paths in paths_by_rules.items())
    rows.sort()
    lines = ["| finding | on | reason |", "| --- | --- | --- |"]
    for paths, rules, reason in rows:
        findings = ", ".join(f"`{rule}`" for rule in rules)
        constructs = ", ".join(f"`{path}`" for path in paths)
        lines.append(f"| {findings} | {constructs} | {plain_cell(reason)} |")
    return "\n".join(lines)
