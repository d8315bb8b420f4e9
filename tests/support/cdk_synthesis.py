"""Session fixtures: the real CDK app (app.py) synthesized once per test session, offline.

A pytest plugin (registered in tests/conftest.py), so every test folder shares one synthesis:
``synthesized_app`` (the assembly and its stages),
``template_json`` / ``template`` (one stack's template by environment and stack kind), and the
``synthesize_app`` helper for an extra synthesis into a given folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnElement, Stack, Validations, cx_api
from aws_cdk.assertions import Template

import app as cdk_entry
from cdk_app.stage import ServiceStage

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "library" / "tests" / "fixtures"
ENVIRONMENTS = ("dev", "staging", "prod")
STACK_KINDS = ("Stateful", "Stateless")

CLI_CONTEXT = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
}
"""What the CDK CLI adds to cdk.json's context by default; tests synthesize without the CLI."""


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context (feature flags) plus the CLI's defaults: the context ``make synth`` runs with."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return {**context, **CLI_CONTEXT}


@dataclass(frozen=True)
class SynthesizedApp:
    """The whole app after ``synth()``: its stages (construct trees) and the cloud assembly on disk."""

    app: App
    stages: dict[str, ServiceStage]
    assembly: cx_api.CloudAssembly
    outdir: Path

    def template_path(self, environment: str, kind: str) -> Path:
        return self.outdir / f"assembly-{environment}" / str(self.stack(environment, kind).template_file)

    def stack(self, environment: str, kind: str) -> Any:
        stage = self.stages[environment]
        return stage.stateful if kind == "Stateful" else stage.stateless

    def template_json(self, environment: str, kind: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.template_path(environment, kind).read_text())
        return loaded


def synthesize_app(outdir: Path, **extra_context: Any) -> SynthesizedApp:
    """Build app.py's stages into a fresh ``App`` and synthesize it into ``outdir``."""
    app = App(context={**cdk_json_context(), **extra_context}, outdir=str(outdir))
    stages = {stage.config.name: stage for stage in cdk_entry.build(app)}
    assembly = app.synth()
    return SynthesizedApp(app=app, stages=stages, assembly=assembly, outdir=outdir)


@pytest.fixture(scope="session")
def synthesized_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """Every environment of the real app, synthesized once for the session."""
    return synthesize_app(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def template_json(synthesized_app: SynthesizedApp) -> Callable[[str, str], dict[str, Any]]:
    """``template_json("prod", "Stateless")`` -> the parsed CloudFormation template."""
    return synthesized_app.template_json


@pytest.fixture(scope="session")
def template(synthesized_app: SynthesizedApp) -> Callable[[str, str], Template]:
    """``template("prod", "Stateless")`` -> an ``aws_cdk.assertions.Template`` (built once per stack)."""
    cache: dict[tuple[str, str], Template] = {}

    def get(environment: str, kind: str) -> Template:
        key = (environment, kind)
        if key not in cache:
            cache[key] = Template.from_json(synthesized_app.template_json(environment, kind))
        return cache[key]

    return get


@pytest.fixture(params=ENVIRONMENTS)
def environment(request: pytest.FixtureRequest) -> str:
    """Runs a test once per environment."""
    return str(request.param)


def logical_id(construct: Any) -> str:
    """The CloudFormation logical id of an L2 construct's resource (or of an L1 resource)."""
    resource = construct if isinstance(construct, CfnElement) else construct.node.default_child
    stack = Stack.of(resource)
    return str(stack.resolve(stack.get_logical_id(resource)))


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """``{logical id: resource}`` of every resource of ``resource_type`` in a template."""
    return {key: value for key, value in template["Resources"].items() if value["Type"] == resource_type}


@dataclass(frozen=True)
class Acknowledgement:
    path: str
    rule: str
    reason: str


def acknowledgements(app: App) -> Iterator[Acknowledgement]:
    """Every cdk-nag acknowledgement of ``app``'s constructs (``Validations.of(x).acknowledge``), as the
    construct metadata records it."""
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in entry.data.items():
                    yield Acknowledgement(construct.node.path, rule.removeprefix("Annotation::"), reason)
