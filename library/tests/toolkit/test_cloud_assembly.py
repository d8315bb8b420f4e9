"""The one cloud-assembly reader: stages read on demand, stacks at the top of the app, file assets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from serverless_fastapi_cdk.toolkit.cloud_assembly import AssemblyError, CloudAssembly


def _write(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))


def _stack(artifact_id: str, name: str, environment: str, template: str) -> dict[str, Any]:
    return {
        "type": "aws:cloudformation:stack",
        "environment": environment,
        "displayName": name,
        "properties": {"templateFile": template, "stackName": artifact_id.replace("/", "-")},
    }


@pytest.fixture
def assembly(tmp_path: Path) -> Path:
    """Two stages (one with a file asset) and a stack at the top of the app."""
    _write(
        tmp_path / "manifest.json",
        {
            "artifacts": {
                "Tools": _stack(
                    "Tools", "Tools", "aws://unknown-account/unknown-region", "Tools.template.json"
                ),
                "assembly-dev": {
                    "type": "cdk:cloud-assembly",
                    "properties": {"directoryName": "assembly-dev", "displayName": "dev"},
                },
                "assembly-prod": {
                    "type": "cdk:cloud-assembly",
                    "properties": {"directoryName": "assembly-prod", "displayName": "prod"},
                },
            }
        },
    )
    _write(tmp_path / "Tools.template.json", {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
    _write(
        tmp_path / "assembly-dev" / "manifest.json",
        {
            "artifacts": {
                "devApi": _stack(
                    "dev-Api", "dev/Api", "aws://111111111111/eu-west-1", "devApi.template.json"
                ),
                "devApi.assets": {"type": "cdk:asset-manifest", "properties": {"file": "devApi.assets.json"}},
            }
        },
    )
    _write(tmp_path / "assembly-dev" / "devApi.template.json", {"Resources": {}})
    _write(
        tmp_path / "assembly-dev" / "devApi.assets.json",
        {
            "files": {
                "abc": {
                    "source": {"path": "../asset.abc", "packaging": "zip"},
                    "destinations": {"d": {"objectKey": "abc.zip", "bucketName": "b"}},
                }
            }
        },
    )
    (tmp_path / "assembly-prod").mkdir()
    return tmp_path


def test_a_stage_is_read_when_asked_and_names_where_it_deploys(assembly: Path) -> None:
    cloud = CloudAssembly(assembly)
    assert cloud.stages() == ["dev", "prod"]
    (stack,) = cloud.stage_stacks("dev")
    assert (stack.name, stack.stack_name, stack.stage) == ("dev/Api", "dev-Api", "dev")
    assert (stack.account, stack.region) == ("111111111111", "eu-west-1")
    assert stack.template_path == assembly / "assembly-dev" / "devApi.template.json"
    assert cloud.file_assets("dev") == {"abc.zip": (assembly / "asset.abc").resolve()}


def test_stacks_outside_any_stage_are_the_empty_stage(assembly: Path) -> None:
    (stack,) = CloudAssembly(assembly).stage_stacks("")
    assert (stack.name, stack.stage, stack.account, stack.region) == ("Tools", "", None, None)
    assert stack.resources == {"Topic": {"Type": "AWS::SNS::Topic"}}


def test_an_unreadable_stage_fails_only_when_it_is_read(assembly: Path) -> None:
    cloud = CloudAssembly(assembly)
    assert [stack.name for stack in cloud.stage_stacks("dev")] == ["dev/Api"]
    with pytest.raises(
        AssemblyError, match=r"assembly-prod/manifest\.json is missing: synthesize the app first"
    ):
        cloud.stage_stacks("prod")


def test_an_unknown_stage_lists_the_stages(assembly: Path) -> None:
    with pytest.raises(AssemblyError, match=r"has no stage 'qa' \(stages: dev, prod\)"):
        CloudAssembly(assembly).stage_stacks("qa")


def test_a_folder_without_a_manifest_says_to_synthesize(tmp_path: Path) -> None:
    with pytest.raises(AssemblyError, match=r"manifest\.json is missing: synthesize the app first"):
        CloudAssembly(tmp_path)


def test_the_deployment_order_is_the_manifests_with_each_stack_after_its_dependencies(tmp_path: Path) -> None:
    """The manifest's order is the CDK CLI's; a dependency listed later still goes first."""
    stacks = {
        "prodStateful": _stack("prod-Stateful", "prod/Stateful", "aws://1/eu-west-1", "s.json"),
        "prodStateless": {
            **_stack("prod-Stateless", "prod/Stateless", "aws://1/eu-west-1", "l.json"),
            "dependencies": ["prodStateful", "prodEdge", "prodStateless.assets"],
        },
        "prodEdge": _stack("prod-Edge", "prod/Edge", "aws://1/us-east-1", "e.json"),
    }
    _write(tmp_path / "manifest.json", {"artifacts": stacks})
    for template in ("s.json", "l.json", "e.json"):
        _write(tmp_path / template, {"Resources": {}})
    cloud_assembly = CloudAssembly(tmp_path)

    assert [stack.name for stack in cloud_assembly.stage_stacks("")] == [
        "prod/Edge",
        "prod/Stateful",
        "prod/Stateless",
    ]
    assert [stack.name for stack in cloud_assembly.deployment_order("")] == [
        "prod/Stateful",
        "prod/Edge",
        "prod/Stateless",
    ]


def test_stacks_that_depend_on_each_other_are_refused(tmp_path: Path) -> None:
    stacks = {
        "a": {**_stack("a", "a", "aws://1/eu-west-1", "a.json"), "dependencies": ["b"]},
        "b": {**_stack("b", "b", "aws://1/eu-west-1", "b.json"), "dependencies": ["a"]},
    }
    _write(tmp_path / "manifest.json", {"artifacts": stacks})
    for template in ("a.json", "b.json"):
        _write(tmp_path / template, {"Resources": {}})

    with pytest.raises(AssemblyError, match="cycle"):
        CloudAssembly(tmp_path).deployment_order("")
