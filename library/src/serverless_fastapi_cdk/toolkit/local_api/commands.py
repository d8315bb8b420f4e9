"""``sfcdk local`` and ``sfcdk token``: serve a stage of the CDK app, and mint tokens for it.

``local`` synthesizes the stage with its layers built for this machine, then serves it until Ctrl-C,
reloading what changes in the sources (:mod:`toolkit.local_api.reload`). ``token USER`` asks the running
emulator's issuer for a token whose ``sub`` is USER (for the API named with ``--api``, when the stage's
APIs accept different audiences).
"""

from __future__ import annotations

import json
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx

from serverless_fastapi_cdk.toolkit.cloud_assembly import CloudAssembly
from serverless_fastapi_cdk.toolkit.config import Settings
from serverless_fastapi_cdk.toolkit.local_api.assembly import StageAssembly
from serverless_fastapi_cdk.toolkit.local_api.banner import banner
from serverless_fastapi_cdk.toolkit.local_api.emulator import Emulator, api_audience, bind
from serverless_fastapi_cdk.toolkit.local_api.issuer import DEFAULT_TOKEN_TTL_SECONDS, TOKENS_PATH
from serverless_fastapi_cdk.toolkit.local_api.logs import Console
from serverless_fastapi_cdk.toolkit.local_api.model import ApiSpec
from serverless_fastapi_cdk.toolkit.local_api.reload import Reloader
from serverless_fastapi_cdk.toolkit.local_api.synth import synthesize
from serverless_fastapi_cdk.toolkit.toolchain import PrerequisiteError, Toolchain

STATE_FILE = "run.json"
"""Written while the emulator runs: where its APIs listen and where its issuer is."""
REQUIRED_PYTHON = (3, 12)


@dataclass(frozen=True, kw_only=True)
class ServeOptions:
    """What ``local`` does beyond the settings: serve a given assembly, reload or not."""

    assembly: Path | None = None
    """Serve this synthesized assembly instead of synthesizing (no reload)."""
    reload: bool = True
    token_command: str = "sfcdk token"  # noqa: S105 (a command)
    """How the banner tells a user to get a token from another terminal."""


def _require_python() -> None:
    if sys.version_info[:2] < REQUIRED_PYTHON:
        raise PrerequisiteError(
            f"Python {'.'.join(map(str, REQUIRED_PYTHON))} or later is required, this is "
            f"{sys.version.split()[0]} at {sys.executable}"
        )


def choose_stage(outdir: Path, configured: str | None) -> str:
    """The configured stage, else the only stage of the assembly, else ``""`` when it has none."""
    if configured is not None:
        return configured
    stages = CloudAssembly(outdir).stages()
    if len(stages) > 1:
        raise PrerequisiteError(
            f"the app has several stages ({', '.join(stages)}): "
            "choose one with --stage, or stage in [tool.sfcdk] of pyproject.toml"
        )
    return stages[0] if stages else ""


def serve(settings: Settings, options: ServeOptions) -> int:
    _require_python()
    console = Console()
    listener = bind(settings.host, settings.port)
    state_dir = settings.state_dir
    state_file = state_dir / STATE_FILE
    toolchain: Toolchain | None = None
    outdir = options.assembly or state_dir / "cdk.out"

    def synthesize_stage() -> None:
        nonlocal toolchain
        toolchain = toolchain or Toolchain.find(
            settings.project, cdk_cli=settings.cdk_cli, node=settings.node
        )
        synthesize(settings.project, outdir, settings.stage or "", toolchain=toolchain, app=settings.app)

    try:
        if options.assembly is None:
            shown = f"stage {settings.stage!r}" if settings.stage else "the app"
            console.info(f"Synthesizing {shown} (dependency layers for this machine) ...")
            started = time.monotonic()
            synthesize_stage()
            console.info(f"Synthesized into {outdir} in {time.monotonic() - started:.1f} s")
        stage = choose_stage(outdir, settings.stage)

        def bind_api(index: int, api: ApiSpec) -> socket.socket:
            return bind(settings.host, settings.port + index if settings.port else 0)

        emulator = Emulator(
            StageAssembly(outdir, stage),
            listener=listener,
            state_dir=state_dir,
            console=console,
            bind_api=bind_api,
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
    if options.assembly is None and options.reload:

        def synthesize_again() -> StageAssembly:
            synthesize_stage()
            return StageAssembly(outdir, stage)

        reloader = Reloader(
            emulator,
            project_root=settings.project,
            build_dir=state_dir / "code",
            synthesize=synthesize_again,
            synth_inputs=settings.watch or None,
        )
    try:
        state = {
            "url": emulator.url,
            "issuer": emulator.issuer.url,
            "apis": [
                {"name": api.name, "url": emulator.url_of(api), "audience": api_audience(api)}
                for api in emulator.app.apis
            ],
        }
        state_file.parent.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps(state))
        if reloader is not None:
            reloader.start()
            console.info(f"Reloading on changes to {', '.join(reloader.watched())} (--no-reload: off)")
        console.info(banner(emulator, options.token_command))
        stop.wait()
        console.info("Stopping ...")
    finally:
        if reloader is not None:
            reloader.stop()
        state_file.unlink(missing_ok=True)
        emulator.stop()
    console.info("Stopped.")
    return 0


def token(state_dir: Path, user: str, *, ttl: int = DEFAULT_TOKEN_TTL_SECONDS, api: str | None = None) -> str:
    """A token of the running emulator's issuer for ``user`` (accepted by ``api``, or by the first API)."""
    state_file = state_dir / STATE_FILE
    not_running = (
        "the local API is not running: start it with `sfcdk local` (in another terminal), then retry"
    )
    try:
        state = json.loads(state_file.read_text())
    except FileNotFoundError as error:
        raise PrerequisiteError(not_running) from error
    request: dict[str, object] = {"sub": user, "ttl_seconds": ttl}
    if api is not None:
        apis = {entry["name"]: entry for entry in state.get("apis", [])}
        if api not in apis:
            raise PrerequisiteError(f"no API {api!r} is served (APIs: {', '.join(sorted(apis))})")
        if apis[api]["audience"]:
            request["audience"] = apis[api]["audience"]
    try:
        response = httpx.post(state["issuer"] + TOKENS_PATH, json=request, timeout=5)
    except httpx.TransportError as error:
        raise PrerequisiteError(not_running) from error
    if response.status_code != 200:
        raise PrerequisiteError(f"the issuer refused: {response.json().get('message', response.text)}")
    minted: str = response.json()["token"]
    return minted
