"""The GitHub workflows: actionlint-clean, pinned, least-privileged, keyless, and calling real make verbs.

They cannot run here (no GitHub runner), so these tests read them as GitHub would and check them against
the Makefile, the deploy roles' trust policies and actionlint.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from serverless_fastapi_cdk.toolkit.stack_diff.contract import BREAKING_API_LABEL
from tests.support.cdk_synthesis import ENVIRONMENTS, ROOT, SynthesizedApp

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
    assert called == {
        "test",
        "diff",
        "pr-comment-bundle",
        "pr-comment",
        "synth",
        "contract",
        "deploy",
        "drift",
        "setup",
    }
    assert called <= targets, called - targets


def test_every_job_installs_before_its_credentials_exist() -> None:
    """Set-up (pip, uv, npm: code from registries) runs before the cloud credentials step, never after."""
    with_credentials = 0
    for name, job_id, job in jobs():
        kinds = [
            "credentials" if "configure-aws-credentials" in step.get("uses", "") else step.get("run", "")
            for step in job.get("steps", [])
        ]
        if "credentials" not in kinds:
            continue
        with_credentials += 1
        assert "make setup" in kinds, f"{name}:{job_id} has no set-up step"
        assert kinds.index("make setup") < kinds.index("credentials"), f"{name}:{job_id}"
    assert with_credentials == 2


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
    assert step["run"].split() == [
        "make",
        "diff",
        'DIFF_ARGS="--old-assembly',
        "cdk.out",
        "--old-contract",
        "docs/api/openapi.json",
        "--new-assembly",
        "build/pull-request/cdk.out",
        "--new-contract",
        "build/pull-request/docs/api/openapi.json",
        '$GATES"',
    ]
    assert step["env"]["GATES"] == (
        f"${{{{ !contains({labels}, '{DANGER_LABEL}') && '--fail-on-danger' || '' }}}} "
        f"${{{{ !contains({labels}, '{BREAKING_API_LABEL}') && '--fail-on-breaking-api' || '' }}}}"
    )
    assert "labeled" in triggers(workflows()["pull-request.yml"])["pull_request"]["types"]


def test_the_gate_runs_the_base_branchs_code_over_the_pull_requests_assembly() -> None:
    """The diff job checks out only the base commit; the pull request's code runs in another job, whose
    only output is the assembly (templates as data)."""
    jobs_of = workflows()["pull-request.yml"]["jobs"]
    diff, assembly = jobs_of["diff"], jobs_of["assembly"]
    checkouts = [step for step in diff["steps"] if "actions/checkout" in step.get("uses", "")]
    assert [step["with"]["ref"] for step in checkouts] == ["${{ github.event.pull_request.base.sha }}"]
    assert diff["needs"] == "assembly"
    (download,) = [step for step in diff["steps"] if "download-artifact" in step.get("uses", "")]
    (upload,) = [step for step in assembly["steps"] if "upload-artifact" in step.get("uses", "")]
    assert download["with"]["name"] == upload["with"]["name"]
    assert assembly["permissions"] == {"contents": "read"}
    assert [step.get("run") for step in assembly["steps"] if "run" in step] == ["make synth", "make contract"]


ROLE_VARIABLE = re.compile(r"\bAWS_(DEPLOY|DIFF)_ROLE_ARN")
PURPOSE = {"DEPLOY": "deploy", "DIFF": "diff"}
DEFAULT_BRANCH = "main"
CLAIM = "token.actions.githubusercontent.com"


def _expanded(value: str, variables: dict[str, list[str]]) -> list[str]:
    """``value`` with a single ``${{ inputs.x }}`` / ``${{ matrix.x }}`` replaced by each of its values."""
    match = re.fullmatch(r"\$\{\{ *(inputs|matrix)\.(\w+) *\}\}", value)
    return variables[f"{match.group(1)}.{match.group(2)}"] if match else [value]


def _ref_contexts(flow: dict[str, Any], callers: list[dict[str, Any]]) -> set[str]:
    """The ``sub`` contexts GitHub gives a job without ``environment:`` under the workflow's triggers.

    A pull request presents ``pull_request``; a push the branch it filters on; a schedule runs on the
    default branch. A manual dispatch may name any branch: only the default branch's is wanted, and a
    dispatch on another branch is refused by the trust policy (which is the point). A called workflow
    presents what its callers' triggers do.
    """
    contexts: set[str] = set()
    for event, settings in triggers(flow).items():
        if event in {"pull_request", "pull_request_target"}:
            contexts.add("pull_request")
        elif event == "push":
            contexts.update(f"ref:refs/heads/{branch}" for branch in settings["branches"])
        elif event in {"schedule", "workflow_dispatch"}:
            contexts.add(f"ref:refs/heads/{DEFAULT_BRANCH}")
        elif event == "workflow_call":
            for caller in callers:
                contexts.update(_ref_contexts(caller, []))
    return contexts


def presented_subjects(repository: str) -> dict[tuple[str, str], set[str]]:
    """``(environment, role)`` -> the ``sub`` claims of every workflow job that assumes that role.

    Read from the workflow files as GitHub runs them: which role variable a job's credentials step
    reads, which environments its ``inputs``/``matrix`` take (a called workflow's inputs from the
    ``with:`` of each job calling it), and the subject each job presents (``environment:NAME`` when the
    job names a GitHub environment, else a ref or ``pull_request`` from the triggers).
    """
    flows = workflows()
    presented: dict[tuple[str, str], set[str]] = {}
    for name, flow in flows.items():
        calls = [
            (caller, job)
            for caller in flows.values()
            for job in caller["jobs"].values()
            if job.get("uses") == f"./.github/workflows/{name}"
        ]
        for job in flow["jobs"].values():
            credentials = [
                step for step in job.get("steps", []) if "configure-aws-credentials" in step.get("uses", "")
            ]
            if not credentials:
                continue
            role_expression = " ".join(
                [str(job.get("env", {}).get("ROLE_ARN", ""))]
                + [str(step["with"]["role-to-assume"]) for step in credentials]
            )
            (purpose,) = {PURPOSE[kind] for kind in ROLE_VARIABLE.findall(role_expression)}
            variables = {
                f"matrix.{key}": values for key, values in job.get("strategy", {}).get("matrix", {}).items()
            }
            variables["inputs.environment"] = [str(call["with"]["environment"]) for _, call in calls]
            for environment in _expanded(
                str(job.get("environment") or "${{ matrix.environment }}"), variables
            ):
                if job.get("environment"):
                    contexts = {f"environment:{environment}"}
                else:
                    contexts = _ref_contexts(flow, [caller for caller, _ in calls])
                presented.setdefault((environment, purpose), set()).update(
                    f"repo:{repository}:{context}" for context in contexts
                )
    return presented


def trusted_subjects(template: dict[str, Any]) -> dict[str, set[str]]:
    """Role purpose (``deploy``/``diff``, from its name) -> the ``sub`` claims its trust policy accepts."""
    trusted: dict[str, set[str]] = {}
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        purpose = resource["Properties"]["RoleName"].rsplit("-github-", 1)[1]
        for statement in resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
            assert set(statement["Condition"]) == {"StringEquals"}, "only exact subjects, no wildcard"
            assert statement["Condition"]["StringEquals"][f"{CLAIM}:aud"] == "sts.amazonaws.com"
            trusted.setdefault(purpose, set()).update(statement["Condition"]["StringEquals"][f"{CLAIM}:sub"])
    return trusted


def test_the_derivation_reads_the_subjects_github_issues() -> None:
    """The derivation itself, on the jobs as they are: deploys by environment, drift on main."""
    presented = presented_subjects("o/r")

    assert presented == {
        **{(env, "deploy"): {f"repo:o/r:environment:{env}"} for env in ENVIRONMENTS},
        **{(env, "diff"): {"repo:o/r:ref:refs/heads/main"} for env in ENVIRONMENTS},
    }


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_role_trusts_exactly_the_subjects_of_the_jobs_that_use_it(
    synthesized_app: SynthesizedApp, environment: str
) -> None:
    """Each ``ci-<env>`` role accepts the ``sub`` claims the workflows present for it, and no other."""
    (path,) = (synthesized_app.outdir / f"assembly-ci-{environment}").glob("*.template.json")
    template = json.loads(path.read_text())
    repository = template["Metadata"]["GitHubRepository"]
    presented = {
        purpose: subjects
        for (env, purpose), subjects in presented_subjects(repository).items()
        if env == environment
    }

    trusted = trusted_subjects(template)

    assert trusted == presented
    assert not any(subject.endswith(":pull_request") for subjects in trusted.values() for subject in subjects)


def test_no_pull_request_job_holds_aws_credentials() -> None:
    for name, job_id, job in jobs():
        if "pull_request" in triggers(workflows()[name]):
            assert "id-token" not in job.get("permissions", {}), f"{name}:{job_id}"


GUARDED_PATHS = (
    ".github/workflows/pull-request.yml",
    ".github/workflows/deploy.yml",
    ".github/CODEOWNERS",
    "Makefile",
    "package-lock.json",
    "requirements.txt",
    "library/src/serverless_fastapi_cdk/toolkit/stack_diff/engine.py",
    "library/src/serverless_fastapi_cdk/toolkit/stack_diff/security.py",
    "tools/ci/pr_comment.py",
    "library/src/serverless_fastapi_cdk/github_deploy_roles.py",
)
"""What decides whether a change is dangerous, how it is built and who may deploy: a pull request may not
change these without a code owner's review."""


def code_owners(path: str) -> list[str]:
    """The owners GitHub requests for ``path``: the last matching rule wins (anchored rules only here)."""
    owners: list[str] = []
    for line in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pattern, *rule_owners = line.split()
        assert pattern.startswith("/"), f"{pattern}: anchor every rule at the repository root"
        prefix = pattern.lstrip("/")
        if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
            owners = rule_owners
    return owners


@pytest.mark.parametrize("path", GUARDED_PATHS)
def test_code_owners_review_the_gate_the_workflows_and_the_build(path: str) -> None:
    assert (ROOT / path).exists(), path
    assert code_owners(path), f"{path} has no code owner"
