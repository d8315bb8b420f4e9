"""``python -m tools.local_api [serve|token]``: what ``make run`` and ``make token`` call.

``serve`` (the default) synthesizes a stage with its layer built for this machine, then serves it
until Ctrl-C, reloading what changes in the sources (:mod:`tools.local_api.reload`). ``token USER``
asks the running emulator's issuer for a token whose ``sub`` is USER.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

import httpx

from tools.local_api.assembly import StageAssembly
from tools.local_api.banner import banner
from tools.local_api.emulator import Emulator, bind
from tools.local_api.intrinsics import TemplateError
from tools.local_api.issuer import DEFAULT_TOKEN_TTL_SECONDS, TOKENS_PATH
from tools.local_api.logs import Console
from tools.local_api.reload import Reloader
from tools.local_api.synth import PrerequisiteError, synthesize

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STATE_FILE = "run.json"
"""Written while the emulator runs: where it listens and where its issuer is."""


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.local_api", description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=PROJECT_ROOT / ".local", help="default: .local/")
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="synthesize and serve a stage (default)")
    serve.add_argument("--stage", default="dev", help="default: dev")
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    serve.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", "8000")), help="default: $PORT or 8000"
    )
    serve.add_argument(
        "--assembly",
        type=Path,
        help="serve this synthesized cloud assembly instead of synthesizing (no reload)",
    )
    serve.add_argument("--no-reload", action="store_true", help="do not watch the sources for changes")
    token = commands.add_parser("token", help="print a token of the running emulator's issuer")
    token.add_argument("user", help="the token's sub claim")
    token.add_argument("--ttl", type=int, default=DEFAULT_TOKEN_TTL_SECONDS, help="lifetime in seconds")
    arguments = parser.parse_args(argv)
    if arguments.command is None:
        arguments = parser.parse_args([*argv, "serve"])
    return arguments


def _require_python() -> None:
    if sys.version_info[:2] != (3, 13):
        raise PrerequisiteError(
            f"Python 3.13 is required (Lambda runs python3.13), this is {sys.version.split()[0]} at "
            f"{sys.executable}: use `make run`, which creates .venv with Python 3.13"
        )


def serve(arguments: argparse.Namespace) -> int:
    _require_python()
    console = Console()
    listener = bind(arguments.host, arguments.port)
    state_file = arguments.state_dir / STATE_FILE
    try:
        outdir = arguments.assembly
        if outdir is None:
            outdir = arguments.state_dir / "cdk.out"
            console.info(f"Synthesizing stage {arguments.stage!r} (dependency layer for this machine) ...")
            started = time.monotonic()
            synthesize(PROJECT_ROOT, outdir, arguments.stage)
            console.info(f"Synthesized into {outdir} in {time.monotonic() - started:.1f} s")
        emulator = Emulator(
            StageAssembly(outdir, arguments.stage),
            listener=listener,
            state_dir=arguments.state_dir,
            console=console,
        )
    except BaseException:
        listener.close()
        raise
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    emulator.start()
    reloader = None
    if arguments.assembly is None and not arguments.no_reload:

        def synthesize_again() -> StageAssembly:
            synthesize(PROJECT_ROOT, outdir, arguments.stage)
            return StageAssembly(outdir, arguments.stage)

        reloader = Reloader(
            emulator,
            project_root=PROJECT_ROOT,
            build_dir=arguments.state_dir / "code",
            synthesize=synthesize_again,
        )
    try:
        state_file.write_text(json.dumps({"url": emulator.url, "issuer": emulator.issuer.url}))
        if reloader is not None:
            reloader.start()
            console.info(f"Reloading on changes to {', '.join(reloader.watched())} (--no-reload: off)")
        console.info(banner(emulator))
        stop.wait()
        console.info("Stopping ...")
    finally:
        if reloader is not None:
            reloader.stop()
        state_file.unlink(missing_ok=True)
        emulator.stop()
    console.info("Stopped.")
    return 0


def token(arguments: argparse.Namespace) -> int:
    state_file = arguments.state_dir / STATE_FILE
    not_running = "the local API is not running: start it with `make run` (in another terminal), then retry"
    try:
        state = json.loads(state_file.read_text())
        response = httpx.post(
            state["issuer"] + TOKENS_PATH,
            json={"sub": arguments.user, "ttl_seconds": arguments.ttl},
            timeout=5,
        )
    except (FileNotFoundError, httpx.TransportError) as error:
        raise PrerequisiteError(not_running) from error
    if response.status_code != 200:
        raise PrerequisiteError(f"the issuer refused: {response.json().get('message', response.text)}")
    print(response.json()["token"])
    return 0


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    try:
        return serve(arguments) if arguments.command == "serve" else token(arguments)
    except (PrerequisiteError, TemplateError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
