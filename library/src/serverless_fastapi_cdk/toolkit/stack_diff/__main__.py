"""Command line: ``sfcdk diff [--base REF] [--fail-on-danger] [--fail-on-breaking-api] ...``
(``make diff``): every stack's diff and, where the service names its contract, the API contract's.

Settings come from ``[tool.sfcdk]`` of the app's ``pyproject.toml`` (the CDK CLI, its Node, the app
command, the branch the default base is the merge base with), flags win.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from serverless_fastapi_cdk.toolkit import config
from serverless_fastapi_cdk.toolkit.contract_diff import EngineError as ContractEngineError
from serverless_fastapi_cdk.toolkit.stack_diff.analysis import DiffReport, build_report
from serverless_fastapi_cdk.toolkit.stack_diff.assembly import (
    AssemblyError,
    StackTemplate,
    Template,
    load_assembly,
)
from serverless_fastapi_cdk.toolkit.stack_diff.cdk_cli import cli_diff_text
from serverless_fastapi_cdk.toolkit.stack_diff.contract import ContractReport, contract_report
from serverless_fastapi_cdk.toolkit.stack_diff.engine import EngineError
from serverless_fastapi_cdk.toolkit.stack_diff.markdown import render_markdown, render_text
from serverless_fastapi_cdk.toolkit.stack_diff.synth import (
    NoAppError,
    SynthError,
    default_base,
    describe,
    synthesize,
    worktree,
)
from serverless_fastapi_cdk.toolkit.toolchain import PrerequisiteError, Toolchain

EXIT_DANGER = 3
EXIT_BREAKING_API = 4
EXIT_ERROR = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The diff's options (``sfcdk diff`` and ``python -m serverless_fastapi_cdk.toolkit.stack_diff``)."""
    parser.add_argument(
        "--base", help="git ref to compare against (default: merge base of HEAD with base-branch, main)"
    )
    parser.add_argument("--old-assembly", type=Path, help="use this synthesized assembly as the base")
    parser.add_argument(
        "--new-assembly", type=Path, help="use this synthesized assembly instead of the working tree"
    )
    parser.add_argument(
        "--stacks", nargs="+", default=["*"], metavar="PATTERN", help="only stacks matching, e.g. 'dev/*'"
    )
    parser.add_argument("--markdown", type=Path, help="report file (default: cdk.out/diff.md of the project)")
    parser.add_argument("--fail-on-danger", action="store_true", help=f"exit {EXIT_DANGER} on any danger")
    parser.add_argument(
        "--fail-on-breaking-api",
        action="store_true",
        help=f"exit {EXIT_BREAKING_API} on any breaking change of the API contract",
    )
    parser.add_argument("--old-contract", type=Path, help="use this OpenAPI document as the base's contract")
    parser.add_argument(
        "--new-contract", type=Path, help="use this OpenAPI document instead of the working tree's"
    )
    parser.add_argument("--no-cdk-text", action="store_true", help="leave out the CDK CLI's own diff text")
    parser.add_argument("--project", type=Path, help="the CDK app's folder (default: found from here)")
    parser.add_argument("--cdk-cli", help="the CDK CLI (default: cdk-cli of [tool.sfcdk], PATH)")
    parser.add_argument("--node", help="the Node.js running it (default: node of [tool.sfcdk], PATH)")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="sfcdk diff",
        description="Diff every stack of every environment between a git ref and the working tree, offline.",
    )
    add_arguments(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    return execute(parse_args(argv))


def execute(args: argparse.Namespace) -> int:
    """Run the diff that ``args`` describe; the exit status."""
    if args.base and args.old_assembly:
        print("stack diff: --base and --old-assembly exclude each other", file=sys.stderr)
        return EXIT_ERROR
    try:
        settings = config.load(args.project, {"cdk_cli": args.cdk_cli, "node": args.node})
        if args.markdown is None:
            args.markdown = settings.project / "cdk.out" / "diff.md"
        report = run(args, settings)
        api = contract(args, settings)
    except (
        SynthError,
        AssemblyError,
        EngineError,
        ContractEngineError,
        PrerequisiteError,
        config.ConfigError,
    ) as error:
        print(f"stack diff: {error}", file=sys.stderr)
        return EXIT_ERROR
    api_section = api.markdown() if api is not None else ""
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(render_markdown(report, api=api_section))
    print(render_text(report, api=api_section))
    print(f"Markdown report: {args.markdown}")
    if args.fail_on_danger and report.dangers:
        print(f"stack diff: {len(report.dangers)} danger(s) and --fail-on-danger", file=sys.stderr)
        return EXIT_DANGER
    if args.fail_on_breaking_api and api is not None and api.breaking:
        print("stack diff: breaking API change(s) and --fail-on-breaking-api", file=sys.stderr)
        return EXIT_BREAKING_API
    return 0


def contract(args: argparse.Namespace, settings: config.Settings) -> ContractReport | None:
    """The contract's diff against the same base as the stacks' (``--old-contract`` with an assembly)."""
    root = settings.project
    ref = None if args.old_assembly is not None else args.base or default_base(root, settings.base_branch)
    return contract_report(
        root,
        contract_file=settings.contract,
        ref=ref,
        base_label=describe(root, args.base, settings.base_branch) if ref is not None else "",
        old_file=args.old_contract,
        new_file=args.new_contract,
    )


def run(args: argparse.Namespace, settings: config.Settings) -> DiffReport:
    root = settings.project
    toolchain: Toolchain | None = None

    def tools() -> Toolchain:
        nonlocal toolchain
        toolchain = toolchain or Toolchain.find(root, cdk_cli=settings.cdk_cli, node=settings.node)
        return toolchain

    with tempfile.TemporaryDirectory(prefix="stack-diff-") as scratch:
        if args.new_assembly is not None:
            new_dir, head = args.new_assembly, str(args.new_assembly)
        else:
            print("synthesizing the working tree…", file=sys.stderr)
            new_dir = synthesize(root, root / "cdk.out", toolchain=tools(), project=root, app=settings.app)
            head = "working tree"
        old_dir: Path | None
        if args.old_assembly is not None:
            old_dir, base = args.old_assembly, str(args.old_assembly)
        else:
            ref = args.base or default_base(root, settings.base_branch)
            base = describe(root, args.base, settings.base_branch)
            print(f"synthesizing {base} in a temporary worktree…", file=sys.stderr)
            with worktree(root, ref) as checkout:
                try:
                    old_dir = synthesize(
                        checkout,
                        Path(scratch) / "base.out",
                        toolchain=tools(),
                        project=root,
                        app=settings.app,
                    )
                except NoAppError:
                    old_dir, base = None, f"{base}, before the CDK app existed"
        old = _select(load_assembly(old_dir), args.stacks) if old_dir is not None else {}
        new = _select(load_assembly(new_dir), args.stacks)

        def cli_text(stack: str, old_template: Template | None) -> str:
            return cli_diff_text(tools(), new_dir, stack, old_template)

        return build_report(
            base=base,
            head=head,
            old=old,
            new=new,
            cli_text=None if args.no_cdk_text else cli_text,
            node=tools().node,
            project=root,
        )


def _select(stacks: Mapping[str, StackTemplate], patterns: Sequence[str]) -> dict[str, StackTemplate]:
    return {
        name: stack for name, stack in stacks.items() if any(fnmatch.fnmatchcase(name, p) for p in patterns)
    }


if __name__ == "__main__":
    sys.exit(main())
