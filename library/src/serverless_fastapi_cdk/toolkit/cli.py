"""``sfcdk``: a team's whole loop around a CDK app built with the library.

- ``sfcdk new DIR`` writes a new service repository from the library's template (``update`` later);
- ``sfcdk local`` synthesizes a stage and serves its HTTP APIs like API Gateway and Lambda, with hot reload;
- ``sfcdk token USER`` prints a token of the running local API's issuer;
- ``sfcdk diff`` diffs every stack between a git ref and the working tree, with the stateful-danger gate.

Settings come from ``[tool.sfcdk]`` in the app's ``pyproject.toml`` (:mod:`toolkit.config`); a flag
wins over the table. Errors are one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from serverless_fastapi_cdk.toolkit import config, scaffold
from serverless_fastapi_cdk.toolkit.cloud_assembly import AssemblyError
from serverless_fastapi_cdk.toolkit.local_api.intrinsics import TemplateError
from serverless_fastapi_cdk.toolkit.local_api.issuer import DEFAULT_TOKEN_TTL_SECONDS
from serverless_fastapi_cdk.toolkit.stack_diff import __main__ as stack_diff
from serverless_fastapi_cdk.toolkit.toolchain import PrerequisiteError

PROG = "sfcdk"
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


def _self_command() -> str:
    """How to run this command again from the project's folder (the banner's token command)."""
    launched = Path(sys.argv[0])
    if launched.name == PROG:
        on_path = shutil.which(PROG)
        if on_path is not None and Path(on_path).resolve() == launched.resolve():
            return PROG
        try:
            return shlex.quote(os.path.relpath(launched.resolve(), Path.cwd()))
        except ValueError:
            return shlex.quote(str(launched))
    return f"{shlex.quote(sys.executable)} -m {__package__}"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project", type=Path, help="the CDK app's folder (default: the nearest with cdk.json)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    new = commands.add_parser("new", help="write a new service repository from the library's template")
    scaffold.add_arguments(new)

    update = commands.add_parser("update", help="bring a repository written by `new` up to this template")
    _common(update)
    update.add_argument("--from-wheel", type=Path, help="the wheel of the version that wrote the repository")

    local = commands.add_parser("local", aliases=["serve"], help="serve a stage's HTTP APIs locally")
    _common(local)
    local.add_argument(
        "--stage", help="the CDK Stage to serve (default: stage of [tool.sfcdk], the only one)"
    )
    local.add_argument("--host", help=f"default: {config.DEFAULT_HOST}")
    local.add_argument(
        "--port",
        type=int,
        help=f"the first API's port, further APIs the next ones (default: {config.DEFAULT_PORT})",
    )
    local.add_argument("--app", help="the CDK app command (default: app of [tool.sfcdk], then cdk.json's)")
    local.add_argument("--watch", action="append", help="a file or folder the app reads (repeatable)")
    local.add_argument("--cdk-cli", help="the CDK CLI (default: cdk-cli of [tool.sfcdk], PATH)")
    local.add_argument("--node", help="the Node.js that runs the CLI (default: node of [tool.sfcdk], PATH)")
    local.add_argument("--state-dir", type=Path, help=f"default: {config.DEFAULT_STATE_DIR}/ of the project")
    local.add_argument(
        "--assembly", type=Path, help="serve this synthesized cloud assembly (no synthesis, no reload)"
    )
    local.add_argument("--no-reload", action="store_true", help="do not watch the sources for changes")

    token = commands.add_parser("token", help="print a token of the running local API's issuer")
    _common(token)
    token.add_argument("user", help="the token's sub claim")
    token.add_argument("--ttl", type=int, default=DEFAULT_TOKEN_TTL_SECONDS, help="lifetime in seconds")
    token.add_argument("--api", help="the API the token is for, when the stage's APIs differ in audience")
    token.add_argument("--state-dir", type=Path, help=f"default: {config.DEFAULT_STATE_DIR}/ of the project")

    diff = commands.add_parser("diff", help="diff every stack against a git ref, with the danger gate")
    stack_diff.add_arguments(diff)
    return parser


def _local(arguments: argparse.Namespace) -> int:
    from serverless_fastapi_cdk.toolkit.local_api.commands import ServeOptions, serve

    settings = config.load(
        arguments.project,
        {
            "stage": arguments.stage,
            "host": arguments.host,
            "port": arguments.port,
            "app": arguments.app,
            "watch": arguments.watch,
            "cdk_cli": arguments.cdk_cli,
            "node": arguments.node,
            "state_dir": arguments.state_dir,
        },
    )
    options = ServeOptions(
        assembly=arguments.assembly, reload=not arguments.no_reload, token_command=f"{_self_command()} token"
    )
    return serve(settings, options)


def _token(arguments: argparse.Namespace) -> int:
    from serverless_fastapi_cdk.toolkit.local_api.commands import token

    settings = config.load(arguments.project, {"state_dir": arguments.state_dir})
    print(token(settings.state_dir, arguments.user, ttl=arguments.ttl, api=arguments.api))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        match arguments.command:
            case "new":
                return scaffold.run(arguments)
            case "update":
                return scaffold.update((arguments.project or Path.cwd()).resolve(), arguments.from_wheel)
            case "local" | "serve":
                return _local(arguments)
            case "token":
                return _token(arguments)
            case _:
                return stack_diff.execute(arguments)
    except (PrerequisiteError, config.ConfigError, AssemblyError, TemplateError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED


def entry_point() -> None:
    """The ``sfcdk`` console script."""
    sys.exit(main())
