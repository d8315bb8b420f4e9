"""The stack diff tool on real syntheses of the app: each change lands in the right section.

Variants come from tests/support/assembly_variants.py: one synthesis each, compared against the baseline.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from serverless_fastapi_cdk.toolkit.stack_diff.__main__ import EXIT_DANGER, main
from serverless_fastapi_cdk.toolkit.stack_diff.analysis import DiffReport, build_report
from serverless_fastapi_cdk.toolkit.stack_diff.assembly import load_assembly
from serverless_fastapi_cdk.toolkit.stack_diff.compare import ChangeKind, ResourceChange
from serverless_fastapi_cdk.toolkit.stack_diff.security import SecurityCategory
from serverless_fastapi_cdk.toolkit.stack_diff.stateful import DangerKind
from serverless_fastapi_cdk.toolkit.stack_diff.synth import git
from tests.support.assembly_variants import ADDED_BUCKET_ARN, RENAMED_PARTITION_KEY
from tests.support.cdk_synthesis import ENVIRONMENTS, ROOT


def report_between(old: Path, new: Path) -> DiffReport:
    return build_report(base="baseline", head="variant", old=load_assembly(old), new=load_assembly(new))


def run_cli(old: Path, new: Path, markdown: Path, *extra: str) -> int:
    arguments = ["--old-assembly", str(old), "--new-assembly", str(new), "--markdown", str(markdown)]
    return main([*arguments, "--no-cdk-text", *extra])


def test_the_same_synthesis_twice_shows_no_change(baseline_assembly: Path, tmp_path: Path) -> None:
    report = report_between(baseline_assembly, baseline_assembly)

    assert len(report.stacks) == 3 * len(ENVIRONMENTS)  # Stateful, Stateless and ci-<env>/DeployRoles
    assert report.changed_stacks == []
    assert report.dangers == ()
    assert report.security == ()
    assert run_cli(baseline_assembly, baseline_assembly, tmp_path / "diff.md", "--fail-on-danger") == 0


def test_an_added_iam_statement_lands_in_the_security_section(
    baseline_assembly: Path, iam_variant: Path, tmp_path: Path
) -> None:
    report = report_between(baseline_assembly, iam_variant)

    assert [stack.name for stack in report.changed_stacks] == ["dev/Stateless"]
    iam_changes = [item for item in report.security if item.category is SecurityCategory.IAM]
    assert len(iam_changes) == 1
    assert iam_changes[0].resource_type == "AWS::IAM::Policy"
    assert "+ Allow s3:GetObject on " + ADDED_BUCKET_ARN in iam_changes[0].summary
    assert report.dangers == ()

    markdown = tmp_path / "diff.md"
    assert run_cli(baseline_assembly, iam_variant, markdown, "--fail-on-danger") == 0
    security = markdown.read_text().split("## Security", 1)[1].split("## Changes by environment", 1)[0]
    assert "### IAM (1)" in security
    assert "s3:GetObject" in security


def test_a_new_table_key_is_a_danger_in_every_environment(
    baseline_assembly: Path, table_key_variant: Path, tmp_path: Path
) -> None:
    report = report_between(baseline_assembly, table_key_variant)

    replaced = {(danger.stack, danger.resource_type, danger.kind) for danger in report.dangers}
    assert replaced == {
        (f"{environment}/Stateful", "AWS::DynamoDB::GlobalTable", DangerKind.REPLACEMENT)
        for environment in ENVIRONMENTS
    }
    assert all(
        "KeySchema" in danger.detail and RENAMED_PARTITION_KEY in danger.detail for danger in report.dangers
    )

    markdown = tmp_path / "diff.md"
    assert run_cli(baseline_assembly, table_key_variant, markdown) == 0
    assert run_cli(baseline_assembly, table_key_variant, markdown, "--fail-on-danger") == EXIT_DANGER
    text = markdown.read_text()
    assert text.index("DANGER") < text.index("## Summary")


def test_the_cdk_cli_text_is_included_offline(
    baseline_assembly: Path, table_key_variant: Path, tmp_path: Path
) -> None:
    markdown = tmp_path / "diff.md"
    arguments = ["--old-assembly", str(baseline_assembly), "--new-assembly", str(table_key_variant)]
    assert main([*arguments, "--markdown", str(markdown), "--stacks", "dev/Stateful"]) == 0

    text = markdown.read_text()
    assert "<details><summary>cdk diff</summary>" in text
    assert "KeySchema (requires replacement)" in text


def test_a_layer_only_change_is_a_change_not_a_danger(
    baseline_assembly: Path, layer_variant: Path, tmp_path: Path
) -> None:
    """The layer changes in place and the function publishes a new version (CDK's ``current_version``
    gets a new logical id: one Version removed, one added) that the alias moves to."""
    report = report_between(baseline_assembly, layer_variant)

    assert report.dangers == ()
    assert {stack.name for stack in report.changed_stacks} == {f"{env}/Stateless" for env in ENVIRONMENTS}
    version_ids: list[str] = []
    for stack in report.changed_stacks:
        by_type: dict[str, list[ResourceChange]] = {}
        for change in stack.resources:
            by_type.setdefault(change.resource_type, []).append(change)
        (layer,) = by_type["AWS::Lambda::LayerVersion"]
        assert layer.kind is ChangeKind.CHANGED
        assert any(prop.path == "Properties.Content.S3Key" for prop in layer.changes)

        kinds = sorted(change.kind for change in by_type["AWS::Lambda::Version"])
        assert kinds == [ChangeKind.ADDED, ChangeKind.REMOVED], stack.name
        versions = {change.kind: change.logical_id for change in by_type["AWS::Lambda::Version"]}
        assert versions[ChangeKind.ADDED] != versions[ChangeKind.REMOVED]
        (alias,) = by_type["AWS::Lambda::Alias"]
        assert alias.kind is ChangeKind.CHANGED
        (moved,) = [prop for prop in alias.changes if prop.path.startswith("Properties.FunctionVersion")]
        assert (moved.old, moved.new) == (versions[ChangeKind.REMOVED], versions[ChangeKind.ADDED])
        version_ids += versions.values()

    markdown = tmp_path / "diff.md"
    assert run_cli(baseline_assembly, layer_variant, markdown, "--fail-on-danger") == 0
    before_summary, changes = markdown.read_text().split("## Summary", 1)
    assert "No danger" in before_summary
    assert all(
        f"`{logical_id}`" in changes.split("## Changes by environment", 1)[1] for logical_id in version_ids
    )


def test_the_base_is_synthesized_in_a_temporary_worktree(baseline_assembly: Path, tmp_path: Path) -> None:
    """The one test of the git path: the HEAD commit checked out and synthesized with the pinned CLI.

    The commit is resolved once, so that another commit landing meanwhile does not change the base. The
    temporary worktree is made under this test's own directory, so that worktrees other checkouts of the
    repository add or move meanwhile do not count.
    """
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    commit = git(ROOT, "rev-parse", "HEAD")
    short = git(ROOT, "rev-parse", "--short", commit)
    markdown = tmp_path / "diff.md"

    completed = subprocess.run(  # noqa: S603
        [
            sys.executable, "-m", "serverless_fastapi_cdk.toolkit.stack_diff", "--base", commit,
            "--new-assembly", str(baseline_assembly), "--markdown", str(markdown), "--no-cdk-text",
        ],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(scratch)},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stderr
    text = markdown.read_text()
    assert text.startswith(f"# Stack diff: `{commit} ({short})` → ")
    contract = "docs/api/openapi.json"
    assert f"## API contract: `{commit} ({short}):{contract}` → `working tree:{contract}`" in text
    summary = text.split("## Summary", 1)[1].split("## Security", 1)[0]
    for environment in ENVIRONMENTS:
        for kind in ("Stateful", "Stateless"):
            assert f"| {environment}/{kind} |" in summary
    assert "(new stack)" not in summary
    assert str(scratch) not in git(ROOT, "worktree", "list"), "the temporary worktree is left behind"
    assert list(scratch.iterdir()) == []
