"""Start and stop everything the local API needs, in order, for one stage of an assembly."""

from __future__ import annotations

import errno
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn

from tools.local_api.assembly import StageAssembly
from tools.local_api.backends import LocalAws, XRaySink
from tools.local_api.gateway import Gateway
from tools.local_api.issuer import LocalIssuer, load_or_create_key
from tools.local_api.jwt_authorizer import JwksClient, JwtAuthorizer
from tools.local_api.logs import Console
from tools.local_api.model import LocalApp
from tools.local_api.synth import PrerequisiteError
from tools.local_api.workers import FunctionPool, Platform

DEFAULT_AUDIENCE = "local"
"""The tokens' ``client_id`` when no route has an authorizer."""


class PortInUseError(PrerequisiteError):
    """The port the API should listen on is taken."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or :class:`PortInUseError` saying what to do.

    Connections accepted on it inherit TCP_NODELAY: uvicorn sends a response's head and body in two
    writes, and asyncio only disables Nagle's algorithm itself on sockets it created, so without it
    every response waited for the client's delayed ACK (about 40 ms on Linux).
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUseError(
                f"port {port} on {host} is already in use (another `make run`?); "
                f"stop that process or choose another port: make run PORT={port + 1}"
            ) from error
        raise
    listener.listen(128)
    return listener


def require_runtime(app: LocalApp) -> None:
    """Fail unless this interpreter is the Python version of every function."""
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for function in app.functions():
        if function.runtime != here:
            raise PrerequisiteError(
                f"function {function.name} runs on {function.runtime} but the emulator runs on {here} "
                f"({sys.executable}); run it with the project's .venv (make run)"
            )


class Emulator:
    """The local API of one stage: moto, the issuer, the function pools and the HTTP front end."""

    def __init__(
        self,
        assembly: StageAssembly,
        *,
        listener: socket.socket,
        state_dir: Path,
        console: Console,
        customize: Callable[[LocalApp], LocalApp] | None = None,
    ) -> None:
        """``customize`` may replace parts of the app read from the assembly (tests swap functions)."""
        self.assembly = assembly
        self.console = console
        self._listener = listener
        self._state_dir = state_dir
        self._customize = customize
        host, port = listener.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        self.aws = LocalAws(assembly.region)
        self.xray = XRaySink()
        self._stops: list[Callable[[], None]] = []

    def start(self) -> None:
        """Start every part; on failure, stop what already started and re-raise."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        self.aws.start()
        self._stops.append(self.aws.stop)
        tables, secrets = self.assembly.backing_resources()
        for table in tables:
            self.assembly.record_created(table.logical_id, self.aws.create_table(table))
        for secret in secrets:
            self.assembly.record_created(secret.logical_id, self.aws.create_secret(secret))
        app = self.assembly.local_app()
        self.app = self._customize(app) if self._customize else app
        require_runtime(self.app)
        self.xray.start()
        self._stops.append(self.xray.stop)
        authorizer_specs = {
            route.authorizer.logical_id: route.authorizer for route in self.app.api.routes if route.authorizer
        }
        audience = next(
            (spec.audience[0] for spec in authorizer_specs.values() if spec.audience), DEFAULT_AUDIENCE
        )
        scopes = tuple(
            sorted({scope for route in self.app.api.routes for scope in route.authorization_scopes})
        )
        key = load_or_create_key(self._state_dir / "issuer" / "private-key.pem")
        self.issuer = LocalIssuer(key, audience=audience, scopes=scopes)
        self.issuer.start()
        self._stops.append(self.issuer.stop)
        authorizers = {
            logical_id: JwtAuthorizer(
                issuer=self.issuer.url,
                audience=spec.audience,
                identity_source=spec.identity_source,
                jwks=JwksClient(self.issuer.url),
            )
            for logical_id, spec in authorizer_specs.items()
        }
        platform = Platform(
            python=sys.executable,
            region=self.app.region,
            aws_endpoint_url=self.aws.endpoint_url,
            xray_daemon_address=self.xray.address,
            console=self.console,
        )
        self.pools = {
            function.logical_id: FunctionPool(function, platform) for function in self.app.functions()
        }
        for pool in self.pools.values():
            self._stops.append(pool.shutdown)
        gateway = Gateway(
            self.app.api,
            account_id=self.app.account,
            pools=self.pools,
            authorizers=authorizers,
            console=self.console,
        )
        config = uvicorn.Config(
            gateway, lifespan="off", log_level="warning", access_log=False, server_header=False
        )
        self._server = uvicorn.Server(config)
        thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._listener]}, name="local-api", daemon=True
        )
        thread.start()
        self._stops.append(lambda: self._stop_server(thread))
        while not self._server.started:
            if not thread.is_alive():
                raise RuntimeError("the HTTP server stopped while starting (see the messages above)")
            time.sleep(0.01)

    def _stop_server(self, thread: threading.Thread) -> None:
        self._server.should_exit = True
        thread.join(timeout=10)

    def stop(self) -> None:
        """Stop every started part, the HTTP front end first."""
        while self._stops:
            self._stops.pop()()
        self._listener.close()
