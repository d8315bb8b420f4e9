"""``make deploy`` refuses deploy roles that trust no real repository, and reads through the lookup role."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cdk_app import delivery
from cdk_app.stacks import deploy_roles
from tests.support.aws_stubs import StubbedSession, activated
from tests.support.cdk_synthesis import SynthesizedApp
from tools.deploy import preflight
from tools.deploy.__main__ import EXIT_PREFLIGHT, deploy_command, main
from tools.deploy.preflight import PreflightError, check_trusted_repository
from tools.deploy.reads import SESSION_NAME, reading_session
from tools.deploy.targets import StackTarget, stage_targets


def test_deploying_the_roles_without_a_repository_is_refused_before_any_aws_call(
    synthesized_app: SynthesizedApp, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ci-prod", "--assembly", str(synthesized_app.outdir), "--dry-run"]) == EXIT_PREFLIGHT

    error = capsys.readouterr().err
    assert "placeholder repository UNSET-OWNER/UNSET-REPOSITORY" in error
    assert '"github:repository": "<owner>/<name>"' in error


def test_roles_naming_a_repository_pass_the_check(tmp_path: Path) -> None:
    template = tmp_path / "roles.template.json"
    template.write_text(json.dumps({"Metadata": {"GitHubRepository": "acme/orders"}, "Resources": {}}))
    stack = StackTarget("ci-dev/DeployRoles", None, None, 6, "/cdk-bootstrap/hnb659fds/version", template)

    check_trusted_repository([stack])


def test_the_tool_and_the_app_agree_on_the_marker() -> None:
    assert preflight.REPOSITORY_METADATA_KEY == deploy_roles.REPOSITORY_METADATA_KEY
    assert delivery.UNSET_REPOSITORY.startswith(preflight.UNSET_REPOSITORY_MARKER)


def test_ci_reads_through_the_lookup_role_the_manifest_names(synthesized_app: SynthesizedApp) -> None:
    stack = stage_targets(synthesized_app.outdir, "dev")[0]
    role = "arn:aws:iam::123456789012:role/cdk-hnb659fds-lookup-role-123456789012-eu-west-1"
    session = StubbedSession()
    session.stub("sts").add_response(
        "assume_role",
        {
            "Credentials": {
                "AccessKeyId": "ASIAEXAMPLE00000000",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
                "Expiration": datetime(2026, 12, 4, tzinfo=UTC),
            }
        },
        {"RoleArn": role, "RoleSessionName": SESSION_NAME},
    )

    with activated(session):
        reads = reading_session(session.as_session, stack, "123456789012", "eu-west-1", via_lookup_role=True)

    credentials = reads.get_credentials()
    assert credentials is not None
    assert credentials.access_key == "ASIAEXAMPLE00000000"


def test_a_refused_lookup_role_says_what_to_fix(synthesized_app: SynthesizedApp) -> None:
    stack = stage_targets(synthesized_app.outdir, "dev")[0]
    session = StubbedSession()
    session.stub("sts").add_client_error("assume_role", "AccessDenied", "not authorized")

    with activated(session), pytest.raises(PreflightError, match="could not assume the CDK lookup role"):
        reading_session(session.as_session, stack, "123456789012", "eu-west-1", via_lookup_role=True)


def test_ci_overrides_prods_approval_prompt_which_no_terminal_could_answer(tmp_path: Path) -> None:
    assert deploy_command(tmp_path, "prod")[-3:-1] == ["--require-approval", "broadening"]
    assert deploy_command(tmp_path, "prod", "never")[-3:-1] == ["--require-approval", "never"]
