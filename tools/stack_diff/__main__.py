"""Command line: ``python -m tools.stack_diff [--base REF] [--fail-on-danger] [--fail-on-breaking-api] ...``
(``make diff``): every stack's diff and the API contract's, in one report."""

from __future__ import annotations

import argparse
import fnmatch
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from tools.contract_diff import EngineError as ContractEngineError
from tools.stack_diff.analysis import DiffReport, build_report
from tools.stack_diff.assembly import AssemblyError, StackTemplate, Template, load_assembly
from tools.stack_diff.cdk_cli import cli_diff_text
from tools.stack_diff.contract import ContractReport, contract_report
from tools.stack_diff.engine import EngineError
from tools.stack_diff.markdown import render_markdown, render_text
from tools.stack_diff.synth import NoAppError, SynthError, default_base, describe, synthesize, worktree

ROOT = Path(__file__).resolve().parents[2]
EXIT_DANGER = 3
EXIT_BREAKING_API = 4
EXIT_ERROR = 1


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.stack_diff",
        description="Diff every stack of every environment between a git ref and the working tree, offline.",
    )
    parser.add_argument("--base", help="git ref to compare against (default: merge base of HEAD with main)")
    parser.add_argument("--old-assembly", type=Path, help="use this synthesized assembly as the base")
    parser.add_argument(
        "--new-assembly", type=Path, help="use this synthesized assembly instead of the working tree"
    )
    parser.add_argument(
        "--stacks", nargs="+", default=["*"], metavar="PATTERN", help="only stacks matching, e.g. 'dev/*'"
    )
    parser.add_argument("--markdown", type=Path, default=ROOT / "cdk.out" / "diff.md", help="report file")
    parser.add_argument("--fail-on-danger", action="store_true", help=f"exit {EXIT_DANGER} on any danger")
    parser.add_argument(
        "--fail-on-breaking-api",
        action="store_true",
        help=f"exit {EXIT_BREAKING_API} on any breaking change of the API contract",
    )
    parser.add_argument("--old-contract", type=Path, help="use this OpenAPI document as the base's contract")
    parser.add_argument("--new-contract", type=Path, help="use this OpenAPI document instead of the code's")
    parser.add_argument("--no-cdk-text", action="store_true", help="leave out the CDK CLI's own diff text")
    args = parser.parse_args(argv)
    if args.base and args.old_assembly:
        parser.error("--base and --old-assembly exclude each other")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = run(args)
        api = contract(args)
    except (SynthError, AssemblyError, EngineError, ContractEngineError) as error:
        print(f"stack diff: {error}", file=sys.stderr)
        return EXIT_ERROR
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(render_markdown(report, api=api.markdown()))
    print(render_text(report, api=api.markdown()))
    print(f"Markdown report: {args.markdown}")
    if args.fail_on_danger and report.dangers:
        print(f"stack diff: {len(report.dangers)} danger(s) and --fail-on-danger", file=sys.stderr)
        return EXIT_DANGER
    if args.fail_on_breaking_api and api.breaking:
        print("stack diff: breaking API change(s) and --fail-on-breaking-api", file=sys.stderr)
        return EXIT_BREAKING_API
    return 0


def contract(args: argparse.Namespace) -> ContractReport:
    """The contract's diff against the same base as the stacks' (``--old-contract`` with an assembly)."""
    ref = None if args.old_assembly is not None else args.base or default_base(ROOT)
    return contract_report(
        ROOT,
        ref=ref,
        base_label=describe(ROOT, args.base) if ref is not None else "",
        old_file=args.old_contract,
        new_file=args.new_contract,
    )


def run(args: argparse.Namespace) -> DiffReport:
    with tempfile.TemporaryDirectory(prefix="stack-diff-") as scratch:
        if args.new_assembly is not None:
            new_dir, head = args.new_assembly, str(args.new_assembly)
        else:
            print("synthesizing the working tree…", file=sys.stderr)
            new_dir, head = synthesize(ROOT, ROOT / "cdk.out", toolchain=ROOT), "working tree"
        old_dir: Path | None
        if args.old_assembly is not None:
            old_dir, base = args.old_assembly, str(args.old_assembly)
        else:
            ref = args.base or default_base(ROOT)
            base = describe(ROOT, args.base)
            print(f"synthesizing {base} in a temporary worktree…", file=sys.stderr)
            with worktree(ROOT, ref) as checkout:
                try:
                    old_dir = synthesize(checkout, Path(scratch) / "base.out", toolchain=ROOT)
                except NoAppError:
                    old_dir, base = None, f"{base}, before the CDK app existed"
        old = _select(load_assembly(old_dir), args.stacks) if old_dir is not None else {}
        new = _select(load_assembly(new_dir), args.stacks)

        def cli_text(stack: str, old_template: Template | None) -> str:
            return cli_diff_text(ROOT / "node_modules" / ".bin" / "cdk", new_dir, stack, old_template)

        return build_report(
            base=base, head=head, old=old, new=new, cli_text=None if args.no_cdk_text else cli_text
        )


def _select(stacks: Mapping[str, StackTemplate], patterns: Sequence[str]) -> dict[str, StackTemplate]:
    return {
        name: stack for name, stack in stacks.items() if any(fnmatch.fnmatchcase(name, p) for p in patterns)
    }


if __name__ == "__main__":
    sys.exit(main())
