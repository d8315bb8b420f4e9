"""The GitHub deploy roles: who they trust (exact ``sub`` and ``aud`` claims) and what they may do.

Fine-grained checks on the real app's ``ci-<env>`` stages (synthesized once for the session) and on the
construct alone with other props; a snapshot of one stage's template catches the rest.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from cdk_app.config import ConfigError
from cdk_app.delivery import REPOSITORY_CONTEXT_KEY, UNSET_REPOSITORY, delivery_settings
from cdk_app.stacks.deploy_roles import REPOSITORY_METADATA_KEY
from serverless_fastapi_cdk.github_deploy_roles import GitHubDeployRoles
from tests.support.cdk_synthesis import ENVIRONMENTS, SynthesizedApp, resources_of_type

CLAIM = "token.actions.githubusercontent.com"
PROVIDER_ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def ci_template(synthesized_app: SynthesizedApp, environment: str) -> dict[str, Any]:
    directory = synthesized_app.outdir / f"assembly-ci-{environment}"
    (path,) = directory.glob("*.template.json")
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def role(template: dict[str, Any], purpose: str) -> dict[str, Any]:
    (found,) = [
        resource
        for resource in resources_of_type(template, "AWS::IAM::Role").values()
        if resource["Properties"]["RoleName"].endswith(f"-github-{purpose}")
    ]
    return found


def trust(role_resource: dict[str, Any]) -> dict[str, Any]:
    (statement,) = role_resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    return dict(statement)


def policy_statements(template: dict[str, Any], role_logical_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources_of_type(template, "AWS::IAM::Policy").values()
        if {"Ref": role_logical_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def logical_id_of(template: dict[str, Any], purpose: str) -> str:
    wanted = role(template, purpose)
    return str(next(key for key, value in template["Resources"].items() if value is wanted))


def rendered(value: Any) -> str:
    """A resource ARN as CloudFormation would render it, ``${Token}`` for each reference."""
    if isinstance(value, str):
        return value
    parts = value["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else "${" + part["Ref"] + "}" for part in parts)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_deploy_role_trusts_only_the_repositorys_github_environment(
    synthesized_app: SynthesizedApp, environment: str
) -> None:
    statement = trust(role(ci_template(synthesized_app, environment), "deploy"))

    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Effect"] == "Allow"
    assert statement["Condition"] == {
        "StringEquals": {
            f"{CLAIM}:aud": "sts.amazonaws.com",
            f"{CLAIM}:sub": [f"repo:{UNSET_REPOSITORY}:environment:{environment}"],
        }
    }
    assert statement["Principal"] == {"Federated": {"Ref": "GitHubProviderE571E8F1"}}


def test_the_diff_role_trusts_pull_requests_and_main_of_the_repository(
    synthesized_app: SynthesizedApp,
) -> None:
    statement = trust(role(ci_template(synthesized_app, "prod"), "diff"))

    assert statement["Condition"]["StringEquals"][f"{CLAIM}:sub"] == [
        f"repo:{UNSET_REPOSITORY}:pull_request",
        f"repo:{UNSET_REPOSITORY}:ref:refs/heads/main",
    ]
    assert "StringLike" not in statement["Condition"]


def test_the_deploy_role_may_only_assume_the_bootstrap_roles_and_read_their_version(
    synthesized_app: SynthesizedApp,
) -> None:
    template = ci_template(synthesized_app, "staging")

    assume, read = policy_statements(template, logical_id_of(template, "deploy"))

    assert assume["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert [rendered(arn) for arn in assume["Resource"]] == [
        f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/cdk-hnb659fds-{kind}-role-"
        "${AWS::AccountId}-${AWS::Region}"
        for kind in ("deploy", "file-publishing", "image-publishing", "lookup")
    ]
    assert read["Action"] == "ssm:GetParameter"
    assert rendered(read["Resource"]).endswith(":parameter/cdk-bootstrap/hnb659fds/version")


def test_the_diff_role_may_only_assume_the_lookup_role(synthesized_app: SynthesizedApp) -> None:
    template = ci_template(synthesized_app, "dev")

    (assume,) = policy_statements(template, logical_id_of(template, "diff"))

    assert rendered(assume["Resource"]).endswith(
        ":role/cdk-hnb659fds-lookup-role-${AWS::AccountId}-${AWS::Region}"
    )


def test_each_account_gets_a_provider_and_the_stage_names_the_trusted_repository(
    synthesized_app: SynthesizedApp,
) -> None:
    template = ci_template(synthesized_app, "dev")

    (provider,) = resources_of_type(template, "AWS::IAM::OIDCProvider").values()
    assert provider["Properties"] == {
        "ClientIdList": ["sts.amazonaws.com"],
        "Url": "https://token.actions.githubusercontent.com",
    }
    assert template["Metadata"][REPOSITORY_METADATA_KEY] == UNSET_REPOSITORY
    assert set(template["Outputs"]) == {"DiffRoleArn", "DeployRoleArn"}


def test_the_service_stages_do_not_contain_the_roles(synthesized_app: SynthesizedApp) -> None:
    for environment in ENVIRONMENTS:
        stacks = {path.name for path in (synthesized_app.outdir / f"assembly-{environment}").glob("*.json")}
        assert not any("DeployRoles" in name for name in stacks), environment


def construct_template(**props: Any) -> dict[str, Any]:
    stack = Stack(App(), "Roles")
    GitHubDeployRoles(stack, "GitHub", **{"repository": "acme/orders", "environment": "prod", **props})
    return dict(App.of(stack).synth().get_stack_by_name("Roles").template)  # type: ignore[union-attr]


def test_an_existing_provider_is_imported_not_created() -> None:
    template = construct_template(existing_provider_arn=PROVIDER_ARN, role_name_prefix="orders")

    assert resources_of_type(template, "AWS::IAM::OIDCProvider") == {}
    assert trust(role(template, "deploy"))["Principal"] == {"Federated": PROVIDER_ARN}


def test_the_repository_environment_and_qualifier_are_props() -> None:
    template = construct_template(role_name_prefix="orders", bootstrap_qualifier="team42")

    deploy = role(template, "deploy")
    assert deploy["Properties"]["RoleName"] == "orders-prod-github-deploy"
    assert trust(deploy)["Condition"]["StringEquals"][f"{CLAIM}:sub"] == ["repo:acme/orders:environment:prod"]
    assume, _ = policy_statements(template, logical_id_of(template, "deploy"))
    assert all("cdk-team42-" in rendered(arn) for arn in assume["Resource"])


@pytest.mark.parametrize("repository", ["acme", "acme/orders/extra", "acme/*", ""])
def test_the_construct_refuses_a_repository_that_is_not_owner_slash_name(repository: str) -> None:
    with pytest.raises(ValueError, match=r"GitHubDeployRoles\.repository"):
        construct_template(repository=repository)


def test_context_names_the_repository_and_imports_providers() -> None:
    context = {REPOSITORY_CONTEXT_KEY: "acme/orders", "prod:github_oidc_provider_arn": PROVIDER_ARN}

    settings = delivery_settings(["dev", "prod"], context.get)

    assert settings.repository == "acme/orders"
    assert settings.is_set
    assert dict(settings.provider_arns) == {"prod": PROVIDER_ARN}


def test_without_context_synthesis_trusts_the_refused_placeholder() -> None:
    settings = delivery_settings(["dev"], lambda _key: None)

    assert settings.repository == UNSET_REPOSITORY
    assert not settings.is_set


@pytest.mark.parametrize(
    ("key", "value"),
    [(REPOSITORY_CONTEXT_KEY, "acme"), ("dev:github_oidc_provider_arn", "arn:aws:iam::1:oidc-provider/x")],
)
def test_bad_context_fails_synthesis_naming_the_key(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=key):
        delivery_settings(["dev"], {key: value}.get)


def test_template_matches_snapshot(synthesized_app: SynthesizedApp, snapshot: SnapshotAssertion) -> None:
    assert ci_template(synthesized_app, "prod") == snapshot(extension_class=JSONSnapshotExtension)
