"""The CDK app: one stage per environment, account and region from context, offline synthesis."""

from __future__ import annotations

import pytest
from aws_cdk import App

import app as cdk_entry
from serverless_fastapi_cdk.dependency_layer import LAYER_PLATFORM_CONTEXT_KEY, LayerPlatform
from tests.support.cdk_synthesis import ENVIRONMENTS, cdk_json_context


def test_one_stage_per_environment_with_a_stateful_and_a_stateless_stack(synthesized_app):
    selectable = {
        stack.hierarchical_id
        for environment in ENVIRONMENTS
        for stack in synthesized_app.assembly.get_nested_assembly(f"assembly-{environment}").stacks
    }

    assert selectable == {
        f"{environment}/{kind}" for environment in ENVIRONMENTS for kind in ("Stateful", "Stateless")
    }


def test_stacks_deploy_to_the_configured_region_and_the_callers_account(synthesized_app):
    for environment in ENVIRONMENTS:
        for stack in synthesized_app.assembly.get_nested_assembly(f"assembly-{environment}").stacks:
            assert stack.environment.region == "eu-west-1"
            assert stack.environment.account == "unknown-account"
            assert stack.stack_name == stack.hierarchical_id.replace("/", "-")


def test_stateless_stack_deploys_after_the_stateful_one(synthesized_app, environment):
    nested = synthesized_app.assembly.get_nested_assembly(f"assembly-{environment}")
    stateless = nested.get_stack_artifact(synthesized_app.stages[environment].stateless.artifact_id)

    stacks = {dependency.id for dependency in stateless.dependencies if not dependency.id.endswith(".assets")}

    assert stacks == {synthesized_app.stages[environment].stateful.artifact_id}


def build_without_synth(**context: str) -> dict[str, tuple[str, str]]:
    app = App(context={**cdk_json_context(), **context})
    return {
        stage.config.name: (stage.stateless.account, stage.stateless.region) for stage in cdk_entry.build(app)
    }


def test_account_and_region_are_overridable_per_environment_from_context():
    targets = build_without_synth(**{"prod:account": "123456789012", "prod:region": "us-east-2"})

    assert targets["prod"] == ("123456789012", "us-east-2")
    assert targets["dev"][1] == targets["staging"][1] == "eu-west-1"


def test_an_invalid_account_in_context_fails_naming_the_field():
    with pytest.raises(ValueError, match=r"EnvironmentConfig\('dev'\)\.account"):
        build_without_synth(**{"dev:account": "not-an-account"})


def test_layer_platform_context_selects_the_host_build_and_rejects_unknown_values():
    host = App(context={LAYER_PLATFORM_CONTEXT_KEY: "host"})

    assert cdk_entry.sources_for(host).layer_platform is LayerPlatform.HOST
    assert cdk_entry.sources_for(App()).layer_platform is LayerPlatform.LAMBDA
    with pytest.raises(ValueError, match=LAYER_PLATFORM_CONTEXT_KEY):
        cdk_entry.sources_for(App(context={LAYER_PLATFORM_CONTEXT_KEY: "docker"}))


def test_the_function_version_follows_pyproject(tmp_path, monkeypatch):
    """``APP_VERSION`` (tests/constructs/test_api_function.py) comes from pyproject.toml at synth."""
    pyproject = (cdk_entry.ROOT / "pyproject.toml").read_text()
    released = cdk_entry.project_version()
    (tmp_path / "pyproject.toml").write_text(
        pyproject.replace(f'version = "{released}"', 'version = "9.8.7rc1"', 1)
    )
    monkeypatch.setattr(cdk_entry, "ROOT", tmp_path)

    assert cdk_entry.project_version() == "9.8.7rc1"
    assert cdk_entry.sources_for(App()).app_version == "9.8.7rc1"
