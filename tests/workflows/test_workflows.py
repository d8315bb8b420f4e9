"""The GitHub workflows: actionlint-clean, pinned, least-privileged, keyless, and calling real make verbs.

They cannot run here (no GitHub runner), so these tests read them as GitHub would and check them against
the Makefile, the deploy roles' trust policies and actionlint.
"""

from __future__ import annotations

import re
import subprocess
from typing import Any

import yaml  # type: ignore[import-untyped]

from tests.support.cdk_synthesis import ENVIRONMENTS, ROOT, SynthesizedApp
from tools.stack_diff.contract import BREAKING_API_LABEL

WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
TAG_COMMENT = re.compile(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
MAKE_CALL = re.compile(r"\bmake ([a-z][a-z0-9-]*)")
MAKE_TARGET = re.compile(r"^([a-z][a-z0-9-]*):", re.MULTILINE)
GUARD_STEP = "Check that"
"""Steps named so check the repository's setup before anything else; all other ``run`` steps are make."""
DANGER_LABEL = "allow-dangerous-diff"


def workflows() -> dict[str, dict[str, Any]]:
    return {path.name: yaml.safe_load(path.read_text()) for path in sorted(WORKFLOWS.glob("*.yml"))}


def triggers(flow: dict[str, Any]) -> dict[str, Any]:
    """The ``on:`` mapping (YAML 1.1, as PyYAML reads it, turns the key ``on`` into True)."""
    found: dict[str, Any] = flow["on"] if "on" in flow else flow[True]  # type: ignore[index]
    return found


def jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [(name, job_id, job) for name, flow in workflows().items() for job_id, job in flow["jobs"].items()]


def steps() -> list[tuple[str, dict[str, Any]]]:
    return [(f"{name}:{job_id}", step) for name, job_id, job in jobs() for step in job.get("steps", [])]


def test_there_are_the_four_workflows_and_the_reusable_deploy() -> None:
    assert set(workflows()) == {"pull-request.yml", "pr-comment.yml", "main.yml", "deploy.yml", "drift.yml"}


def test_actionlint_finds_nothing() -> None:
    actionlint = ROOT / ".venv" / "bin" / "actionlint"
    assert actionlint.exists(), "actionlint is missing: make setup installs it from requirements.txt"
    completed = subprocess.run(  # noqa: S603 - the pinned linter over the repository's workflows
        [str(actionlint), "-no-color", *map(str, sorted(WORKFLOWS.glob("*.yml")))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_every_action_is_pinned_to_a_commit_with_its_tag_in_a_comment() -> None:
    uses = [(where, step["uses"]) for where, step in steps() if "uses" in step]
    assert uses
    for where, action in uses:
        assert PINNED.match(action), f"{where}: {action} is not pinned to a full commit SHA"
    for path in WORKFLOWS.glob("*.yml"):
        for line in path.read_text().splitlines():
            if "uses:" in line and "@" in line:
                assert TAG_COMMENT.search(line), f"{path.name}: {line.strip()} names no release tag"


def test_run_steps_call_only_make_verbs_that_exist() -> None:
    targets = set(MAKE_TARGET.findall((ROOT / "Makefile").read_text()))
    called = set()
    for where, step in steps():
        if "run" not in step or step.get("name", "").startswith(GUARD_STEP):
            continue
        command = step["run"].strip()
        assert command.startswith("make "), f"{where}: {command!r} is not a make verb"
        assert "\n" not in command, f"{where}: {command!r} is more than one command"
        called.update(MAKE_CALL.findall(command))
    assert called == {"test", "diff", "pr-comment-bundle", "pr-comment", "synth", "deploy", "drift"}
    assert called <= targets, called - targets


def test_permissions_are_empty_by_default_and_granted_per_job() -> None:
    for name, flow in workflows().items():
        assert flow["permissions"] == {}, name
    for name, job_id, job in jobs():
        assert "permissions" in job, f"{name}:{job_id} states no permissions"
        assert "write-all" not in str(job["permissions"])
        writes = {scope for scope, level in job["permissions"].items() if level == "write"}
        uses_oidc = any("configure-aws-credentials" in step.get("uses", "") for step in job.get("steps", []))
        calls_deploy = job.get("uses") == "./.github/workflows/deploy.yml"
        assert ("id-token" in writes) == (uses_oidc or calls_deploy), f"{name}:{job_id}"
        assert writes <= {"id-token", "pull-requests"}, f"{name}:{job_id}: {writes}"
    (comment,) = [job for name, _, job in jobs() if name == "pr-comment.yml"]
    assert comment["permissions"] == {"actions": "read", "pull-requests": "write"}


def test_no_long_lived_secret_is_used() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        assert "secrets." not in text, path.name
        assert "aws-access-key-id" not in text, path.name


def test_main_deploys_one_assembly_to_each_environment_in_order() -> None:
    flow = workflows()["main.yml"]
    assert triggers(flow)["push"] == {"branches": ["main"]}
    order = [
        (job_id, job["needs"], job["with"]["environment"])
        for job_id, job in flow["jobs"].items()
        if job.get("uses") == "./.github/workflows/deploy.yml"
    ]
    assert order == [("dev", "synth", "dev"), ("staging", "dev", "staging"), ("prod", "staging", "prod")]
    synth_steps = [step.get("run") or step.get("uses") for step in flow["jobs"]["synth"]["steps"]]
    assert "make synth" in synth_steps
    deploy = workflows()["deploy.yml"]["jobs"]["deploy"]
    assert [step.get("run") for step in deploy["steps"]][-1] == (
        'make deploy ENV="$TARGET" ASSEMBLY=cdk.out DEPLOY_ARGS="--via-lookup-role --require-approval never"'
    )


def test_two_deploys_or_drift_checks_of_one_environment_never_overlap() -> None:
    deploy = workflows()["deploy.yml"]["jobs"]["deploy"]
    assert deploy["environment"] == "${{ inputs.environment }}"
    assert deploy["concurrency"] == {"group": "deploy-${{ inputs.environment }}", "cancel-in-progress": False}
    drift = workflows()["drift.yml"]["jobs"]["drift"]
    assert drift["concurrency"]["group"] == "drift-${{ matrix.environment }}"


def test_a_job_without_its_role_fails_first_naming_the_variable() -> None:
    for flow, job_id, variable in (
        ("deploy.yml", "deploy", "AWS_DEPLOY_ROLE_ARN"),
        ("drift.yml", "drift", ""),
    ):
        first = workflows()[flow]["jobs"][job_id]["steps"][0]
        assert first["name"].startswith(GUARD_STEP)
        assert "exit 1" in first["run"]
        assert "AWS_DEPLOY_ROLE_ARN" in first["run"] if variable else "AWS_DIFF_ROLE_ARN_" in first["run"]
        assert "docs/pipeline.md" in first["run"]


def test_a_danger_or_a_breaking_api_change_fails_the_pull_request_unless_labelled() -> None:
    diff = workflows()["pull-request.yml"]["jobs"]["diff"]
    (step,) = (step for step in diff["steps"] if "make diff" in step.get("run", ""))
    labels = "github.event.pull_request.labels.*.name"
    assert "if" not in step
    assert step["run"] == 'make diff BASE="$BASE" DIFF_ARGS="$GATES"'
    assert step["env"]["GATES"] == (
        f"${{{{ !contains({labels}, '{DANGER_LABEL}') && '--fail-on-danger' || '' }}}} "
        f"${{{{ !contains({labels}, '{BREAKING_API_LABEL}') && '--fail-on-breaking-api' || '' }}}}"
    )
    assert "labeled" in triggers(workflows()["pull-request.yml"])["pull_request"]["types"]


def test_the_deploy_roles_trust_what_the_workflows_present(synthesized_app: SynthesizedApp) -> None:
    """The ``sub`` claims GitHub issues to these workflows are the ones the roles trust, and no other."""
    deployed = [job["with"]["environment"] for _, _, job in jobs() if "with" in job]
    assert deployed == list(ENVIRONMENTS)
    drift_branch = "main"
    for environment in ENVIRONMENTS:
        stage = synthesized_app.app.node.find_child(f"ci-{environment}")
        roles = stage.deploy_roles.roles  # type: ignore[attr-defined]
        repository = stage.deploy_roles.template_options.metadata["GitHubRepository"]  # type: ignore[attr-defined]
        assert roles.deploy_subjects == (f"repo:{repository}:environment:{environment}",)
        assert roles.diff_subjects == (
            f"repo:{repository}:pull_request",
            f"repo:{repository}:ref:refs/heads/{drift_branch}",
        )
