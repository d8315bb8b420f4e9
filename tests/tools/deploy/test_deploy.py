"""``make deploy``'s pre-flight checks against moto's STS and SSM (no AWS account here).

The checks run for real against moto's server on a loopback port, on assemblies synthesized from app.py
(the session's, and one given prod's on-call address through CDK context as an operator would); only
``cdk deploy`` itself is not run (``--dry-run`` prints the command instead), since it needs a real account.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.aws_emulator import FAKE_AWS_ENVIRONMENT, Emulator, running_emulator
from tests.support.cdk_synthesis import SynthesizedApp, logical_id, resources_of_type, synthesize_app
from tools.deploy.__main__ import EXIT_PREFLIGHT, main
from tools.deploy.preflight import Identity, PreflightError, resolve_targets
from tools.deploy.targets import StackTarget, stage_targets

MOTO_ACCOUNT = "123456789012"
ONCALL = "oncall@example.com"


@pytest.fixture
def emulated_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """Signed in to moto's server (account 123456789012), which answers STS and SSM."""
    with running_emulator() as emulator:
        for name, value in FAKE_AWS_ENVIRONMENT.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
        yield emulator


@pytest.fixture(scope="module")
def subscribed_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """app.py synthesized with ``-c prod:alarm_emails=...``: what ``make deploy ENV=prod CDK_ARGS=...``
    deploys."""
    return synthesize_app(tmp_path_factory.mktemp("subscribed"), **{"prod:alarm_emails": ONCALL})


def bootstrap(emulator: Emulator, target: StackTarget, version: int) -> None:
    """What ``cdk bootstrap`` leaves behind that the check reads: the version parameter."""
    ssm = boto3.session.Session().client("ssm", endpoint_url=emulator.endpoint_url, region_name=target.region)
    ssm.put_parameter(Name=target.bootstrap_parameter, Value=str(version), Type="String", Overwrite=True)


@pytest.mark.usefixtures("no_credentials")
def test_missing_credentials_are_explained(
    baseline_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dev", "--assembly", str(baseline_assembly), "--dry-run"]) == EXIT_PREFLIGHT

    error = capsys.readouterr().err
    assert "no AWS credentials found" in error
    assert "aws sso login" in error


def test_an_environment_is_required_and_must_exist(
    baseline_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--assembly", str(baseline_assembly)]) == EXIT_PREFLIGHT
    assert "make deploy ENV=<env> (one of: ci-dev, ci-prod, ci-staging, dev, prod, staging)" in (
        capsys.readouterr().err
    )

    assert main(["qa", "--assembly", str(baseline_assembly)]) == EXIT_PREFLIGHT
    assert "no environment 'qa'" in capsys.readouterr().err


def test_an_unbootstrapped_account_is_explained(
    baseline_assembly: Path, emulated_aws: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    (region,) = {target.region for target in stage_targets(baseline_assembly, "dev")}

    assert main(["dev", "--assembly", str(baseline_assembly), "--dry-run"]) == EXIT_PREFLIGHT

    error = capsys.readouterr().err
    assert f"aws://{MOTO_ACCOUNT}/{region} is not bootstrapped" in error
    assert f"node_modules/.bin/cdk bootstrap aws://{MOTO_ACCOUNT}/{region}" in error


def test_an_old_bootstrap_is_explained(
    baseline_assembly: Path, emulated_aws: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = stage_targets(baseline_assembly, "dev")
    for target in targets:
        bootstrap(emulated_aws, target, target.bootstrap_version - 1)

    assert main(["dev", "--assembly", str(baseline_assembly), "--dry-run"]) == EXIT_PREFLIGHT

    assert f"needs {targets[0].bootstrap_version} or later" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("environment", "approval", "assembly_fixture"),
    [("dev", "never", "baseline_assembly"), ("prod", "broadening", "subscribed_assembly")],
)
def test_a_ready_account_gets_the_pinned_cli_deploying_the_stage(
    emulated_aws: Emulator,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
    environment: str,
    approval: str,
    assembly_fixture: str,
) -> None:
    assembly: Path = request.getfixturevalue(assembly_fixture)
    for target in stage_targets(assembly, environment):
        bootstrap(emulated_aws, target, target.bootstrap_version)

    assert main([environment, "--assembly", str(assembly), "--dry-run"]) == 0

    output = capsys.readouterr().out
    assert f"account {MOTO_ACCOUNT}" in output
    command = output.strip().splitlines()[-1]
    assert command.startswith("$ ")
    assert "node_modules/.bin/cdk deploy" in command
    assert f"--app {assembly} {environment}/* --require-approval {approval}" in command


@pytest.fixture
def subscribed_assembly(subscribed_app: SynthesizedApp) -> Path:
    return subscribed_app.outdir


@pytest.mark.usefixtures("no_credentials")
def test_prod_whose_alarms_notify_nobody_is_refused_before_any_aws_call(
    baseline_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prod", "--assembly", str(baseline_assembly), "--dry-run"]) == EXIT_PREFLIGHT

    error = capsys.readouterr().err
    assert "prod: the alarm topic" in error
    assert "has no subscription, so its 10 alarms (items-prod-new-version-errors," in error
    assert "Refusing to deploy" in error
    assert 'make deploy ENV=prod CDK_ARGS="-c prod:alarm_emails=oncall@example.com"' in error
    assert "no AWS credentials found" not in error


@pytest.mark.usefixtures("no_credentials")
def test_other_environments_without_subscribers_deploy_with_a_warning(
    baseline_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dev", "--assembly", str(baseline_assembly), "--dry-run"]) == EXIT_PREFLIGHT

    error = capsys.readouterr().err
    assert "deploy: WARNING: dev: the alarm topic" in error
    assert "-c dev:alarm_emails=" in error
    assert "no AWS credentials found" in error, "the warning must not stop the other checks"


def subscriptions(app: SynthesizedApp, environment: str) -> list[tuple[str, str, Any]]:
    template = app.template_json(environment, "Stateless")
    return [
        (s["Properties"]["Protocol"], s["Properties"]["Endpoint"], s["Properties"]["TopicArn"])
        for s in resources_of_type(template, "AWS::SNS::Subscription").values()
    ]


def test_context_subscribes_the_address_to_prods_alarm_topic_only(subscribed_app: SynthesizedApp) -> None:
    topic = subscribed_app.stages["prod"].stateless.service.monitoring.topic

    assert subscriptions(subscribed_app, "prod") == [("email", ONCALL, {"Ref": logical_id(topic)})]
    assert subscriptions(subscribed_app, "dev") == []


def test_credentials_of_another_account_are_refused() -> None:
    target = StackTarget(
        "prod/Stateful", "111111111111", "eu-west-1", 6, "/cdk-bootstrap/hnb659fds/version", Path("t.json")
    )

    with pytest.raises(PreflightError, match="deploys to account 111111111111, but the credentials are for"):
        resolve_targets(
            [target], Identity(account=MOTO_ACCOUNT, arn="arn:aws:iam::123456789012:user/x"), None
        )
