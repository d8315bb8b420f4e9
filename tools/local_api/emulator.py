"""Start and stop everything the local API needs, in order, for one stage of an assembly."""

from __future__ import annotations

import dataclasses
import errno
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from tools.local_api.assembly import StageAssembly
from tools.local_api.backends import LocalAws, XRaySink
from tools.local_api.gateway import Gateway, Receive, Scope, Send
from tools.local_api.issuer import LocalIssuer, load_or_create_key
from tools.local_api.jwt_authorizer import JwksClient, JwtAuthorizer
from tools.local_api.logs import Console
from tools.local_api.model import FunctionSpec, LocalApp, TableSpec
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


def _audience(app: LocalApp) -> str:
    """The issuer's ``client_id``: the first audience of the app's authorizers."""
    audiences = (route.authorizer.audience for route in app.api.routes if route.authorizer)
    return next((audience[0] for audience in audiences if audience), DEFAULT_AUDIENCE)


def _scopes(app: LocalApp) -> tuple[str, ...]:
    return tuple(sorted({scope for route in app.api.routes for scope in route.authorization_scopes}))


def _same_definition(old: TableSpec, new: TableSpec) -> bool:
    return dataclasses.replace(old, logical_id=new.logical_id) == new


@dataclass
class TableChanges:
    """What a reload did to the local tables, by table name."""

    kept: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    recreated: list[str] = field(default_factory=list)
    """Their definition (keys, indexes, TTL) changed: created empty."""
    deleted: list[str] = field(default_factory=list)


class _Front:
    """The ASGI application uvicorn serves: the current gateway, replaced whole on reload."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.gateway(scope, receive, send)


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
        self._all_pools: list[FunctionPool] = []

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
        self._create_backing_resources(self.assembly)
        app = self._read_app(self.assembly)
        self.xray.start()
        self._stops.append(self.xray.stop)
        key = load_or_create_key(self._state_dir / "issuer" / "private-key.pem")
        self.issuer = LocalIssuer(key, audience=_audience(app), scopes=_scopes(app))
        self.issuer.start()
        self._stops.append(self.issuer.stop)
        self._stops.append(self._shutdown_pools)
        self._front = _Front(self._gateway(app))
        config = uvicorn.Config(
            self._front, lifespan="off", log_level="warning", access_log=False, server_header=False
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

    def _create_backing_resources(self, assembly: StageAssembly) -> None:
        tables, secrets = assembly.backing_resources()
        for table in tables:
            assembly.record_created(table.logical_id, self.aws.create_table(table))
        for secret in secrets:
            assembly.record_created(secret.logical_id, self.aws.create_secret(secret))

    def _read_app(self, assembly: StageAssembly) -> LocalApp:
        app = assembly.local_app()
        app = self._customize(app) if self._customize else app
        require_runtime(app)
        return app

    def _gateway(self, app: LocalApp) -> Gateway:
        """The front end of ``app`` with new function pools (``self.app`` and ``self.pools`` become its)."""
        authorizer_specs = {
            route.authorizer.logical_id: route.authorizer for route in app.api.routes if route.authorizer
        }
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
            region=app.region,
            aws_endpoint_url=self.aws.endpoint_url,
            xray_daemon_address=self.xray.address,
            console=self.console,
        )
        self.app = app
        template_issuers = {spec.template_issuer for spec in authorizer_specs.values()}
        self.pools = {
            function.logical_id: FunctionPool(
                _trusting_local_issuer(function, template_issuers, self.issuer.url), platform
            )
            for function in app.functions()
        }
        self._all_pools += self.pools.values()
        return Gateway(
            app.api,
            account_id=app.account,
            pools=self.pools,
            authorizers=authorizers,
            console=self.console,
        )

    def reload(self, assembly: StageAssembly) -> TableChanges:
        """Serve another synthesis of the stage: its resources, routes, authorizers and functions.

        A table whose definition did not change keeps its items; one whose definition changed is
        created anew; tables the stage no longer defines are deleted. Requests already in flight
        finish on the previous functions, whose environments then end. When the assembly cannot be
        served the error propagates before any table or route changes (new secrets aside).
        """
        tables, secrets = assembly.backing_resources()
        for secret in secrets:
            assembly.record_created(secret.logical_id, self.aws.create_secret(secret))
        app = self._read_app(assembly)
        previous = {table.name: table for table in self.app.tables}
        changes = TableChanges()
        for table in tables:
            old = previous.pop(table.name, None)
            if old is None:
                changes.created.append(table.name)
            elif _same_definition(old, table):
                changes.kept.append(table.name)
            else:
                self.aws.delete_table(table.name)
                changes.recreated.append(table.name)
            assembly.record_created(table.logical_id, self.aws.create_table(table))
        for name in previous:
            self.aws.delete_table(name)
            changes.deleted.append(name)
        retired = list(self.pools.values())
        self.issuer.audience, self.issuer.scopes = _audience(app), _scopes(app)
        self._front.gateway = self._gateway(app)
        self.assembly = assembly
        for pool in retired:
            pool.drain()
        return changes

    def code_dirs_in_use(self) -> set[Path]:
        """The code folders that the functions and their running environments, old ones included, use."""
        return set().union(*(pool.code_dirs_in_use() for pool in self._all_pools))

    def _shutdown_pools(self) -> None:
        for pool in self._all_pools:
            pool.shutdown()

    def _stop_server(self, thread: threading.Thread) -> None:
        self._server.should_exit = True
        thread.join(timeout=10)

    def stop(self) -> None:
        """Stop every started part, the HTTP front end first."""
        while self._stops:
            self._stops.pop()()
        self._listener.close()


def _trusting_local_issuer(
    function: FunctionSpec, template_issuers: set[str], local_url: str
) -> FunctionSpec:
    """``function`` with every variable naming a template's issuer naming the local issuer instead.

    A function that verifies tokens itself (a direct invoke skips the authorizer) names its issuer in a
    variable; locally the authorizers trust the local issuer, so that function must too.
    """
    environment = {
        name: local_url if value in template_issuers else value
        for name, value in function.environment.items()
    }
    return (
        function
        if environment == function.environment
        else dataclasses.replace(function, environment=environment)
    )
