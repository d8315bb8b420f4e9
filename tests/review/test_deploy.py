"""``make deploy``'s pre-flight checks against moto's STS and SSM (no AWS account here).

The checks run for real against moto's server on a loopback port; only ``cdk deploy`` itself is not
run (``--dry-run`` prints the command instead), since it needs a real account.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.support.aws_emulator import FAKE_AWS_ENVIRONMENT, Emulator, running_emulator
from tools.deploy.__main__ import EXIT_PREFLIGHT, main
from tools.deploy.preflight import Identity, PreflightError, resolve_targets
from tools.deploy.targets import StackTarget, stage_targets

MOTO_ACCOUNT = "123456789012"
CREDENTIAL_SOURCES = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)  # fmt: skip


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A shell where nobody signed in: no variables, empty config files, no instance metadata."""
    for name in CREDENTIAL_SOURCES:
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")


@pytest.fixture
def emulated_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """Signed in to moto's server (account 123456789012), which answers STS and SSM."""
    with running_emulator() as emulator:
        for name, value in FAKE_AWS_ENVIRONMENT.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
        yield emulator


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
    assert "make deploy ENV=<env> (one of: dev, prod, staging)" in capsys.readouterr().err

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


@pytest.mark.parametrize(("environment", "approval"), [("dev", "never"), ("prod", "broadening")])
def test_a_ready_account_gets_the_pinned_cli_deploying_the_stage(
    baseline_assembly: Path,
    emulated_aws: Emulator,
    capsys: pytest.CaptureFixture[str],
    environment: str,
    approval: str,
) -> None:
    for target in stage_targets(baseline_assembly, environment):
        bootstrap(emulated_aws, target, target.bootstrap_version)

    assert main([environment, "--assembly", str(baseline_assembly), "--dry-run"]) == 0

    output = capsys.readouterr().out
    assert f"account {MOTO_ACCOUNT}" in output
    command = output.strip().splitlines()[-1]
    assert command.startswith("$ ")
    assert "node_modules/.bin/cdk deploy" in command
    assert f"--app {baseline_assembly} {environment}/* --require-approval {approval}" in command


def test_credentials_of_another_account_are_refused() -> None:
    target = StackTarget("prod/Stateful", "111111111111", "eu-west-1", 6, "/cdk-bootstrap/hnb659fds/version")

    with pytest.raises(PreflightError, match="deploys to account 111111111111, but the credentials are for"):
        resolve_targets(
            [target], Identity(account=MOTO_ACCOUNT, arn="arn:aws:iam::123456789012:user/x"), None
        )
