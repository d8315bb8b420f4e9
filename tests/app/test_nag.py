"""cdk-nag (AwsSolutions and Serverless packs) over every stack: zero unacknowledged findings, and every
acknowledgement is narrow, reasoned and still needed."""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk
import pytest
from aws_cdk import App, Duration, Stack, Validations
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

import app as cdk_entry
from tests.support.cdk_synthesis import SynthesizedApp, acknowledgements, cdk_json_context

FINDING_ID = re.compile(r"^(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[[^\]]+\])?$")


def violations(app: App) -> list[tuple[str, str]]:
    """``(rule id, construct path)`` of every unacknowledged finding of both packs."""
    found = []
    for pack in (AwsSolutionsChecks(), ServerlessChecks()):
        report = pack.validate_scope(app)
        found += [
            (violation.rule_name, str(resource.construct_path))
            for violation in report.violations
            for resource in violation.violating_resources
        ]
    return found


def test_synthesis_passed_the_validation_plugins(synthesized_app: SynthesizedApp):
    report = json.loads((synthesized_app.outdir / "validation-report.json").read_text())

    assert report["pluginReports"] == []


def test_both_packs_find_nothing_unacknowledged_in_any_stack(synthesized_app: SynthesizedApp):
    assert violations(synthesized_app.app) == []


def test_the_packs_do_flag_an_unacknowledged_finding():
    app = App()
    stack = Stack(app, "Control")
    lambda_.Function(
        stack,
        "Bare",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        timeout=Duration.seconds(3),
    )

    rules = {rule for rule, _ in violations(app)}

    assert "Serverless-LambdaTracing" in rules
    assert any(rule.startswith("AwsSolutions-IAM4[Policy::") for rule in rules)


def test_every_acknowledgement_names_one_finding_on_a_resource_with_a_real_reason(
    synthesized_app: SynthesizedApp,
):
    found = list(acknowledgements(synthesized_app.app))

    assert found
    for ack in found:
        assert FINDING_ID.match(ack.rule), ack
        assert len(ack.reason) >= 40, ack
        assert ack.path.count("/") >= 2, f"acknowledged on a whole stack or stage: {ack}"


class _Recorder:
    """Stands in for ``Validations.of(scope)``: records acknowledgements instead of applying them."""

    def __init__(self, scope: Any, records: list[tuple[str, str]]) -> None:
        self._path = scope.node.path
        self._records = records

    def acknowledge(self, *rules: aws_cdk.Acknowledgment) -> None:
        self._records.extend((self._path, rule.id) for rule in rules)

    def add_plugins(self, *_plugins: object) -> None:
        """The packs are run directly by the test."""


def test_every_acknowledgement_still_suppresses_a_real_finding(monkeypatch: pytest.MonkeyPatch):
    records: list[tuple[str, str]] = []
    monkeypatch.setattr(Validations, "of", classmethod(lambda _cls, scope: _Recorder(scope, records)))
    app = App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": []})
    cdk_entry.build(app)
    monkeypatch.undo()

    findings = violations(app)

    assert records
    stale = [
        (path, rule)
        for path, rule in records
        if not any(
            found_rule == rule and (found_path == path or found_path.startswith(f"{path}/"))
            for found_rule, found_path in findings
        )
    ]
    assert stale == []
