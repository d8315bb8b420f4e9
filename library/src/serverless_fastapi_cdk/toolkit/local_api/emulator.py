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

from serverless_fastapi_cdk.toolkit.local_api.assembly import StageAssembly
from serverless_fastapi_cdk.toolkit.local_api.backends import LocalAws, XRaySink
from serverless_fastapi_cdk.toolkit.local_api.gateway import Gateway, Receive, Scope, Send
from serverless_fastapi_cdk.toolkit.local_api.intrinsics import TemplateError
from serverless_fastapi_cdk.toolkit.local_api.issuer import LocalIssuer, load_or_create_key
from serverless_fastapi_cdk.toolkit.local_api.jwt_authorizer import JwksClient, JwtAuthorizer
from serverless_fastapi_cdk.toolkit.local_api.logs import Console
from serverless_fastapi_cdk.toolkit.local_api.model import ApiSpec, FunctionSpec, LocalApp, TableSpec
from serverless_fastapi_cdk.toolkit.local_api.synth import PrerequisiteError
from serverless_fastapi_cdk.toolkit.local_api.workers import FunctionPool, Platform

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
                f"port {port} on {host} is already in use (another local API?); "
                f"stop that process or choose another port: --port {port + 1}"
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
                f"({sys.executable}); run the emulator with that Python (the project's virtual environment)"
            )


def api_audience(api: ApiSpec) -> str | None:
    """The first audience of ``api``'s authorizers: what a token for it carries as ``client_id``."""
    audiences = (route.authorizer.audience for route in api.routes if route.authorizer)
    return next((audience[0] for audience in audiences if audience), None)


def _audience(app: LocalApp) -> str:
    """The issuer's default ``client_id``: the first audience of the app's authorizers."""
    return next((audience for api in app.apis if (audience := api_audience(api))), DEFAULT_AUDIENCE)


def _scopes(app: LocalApp) -> tuple[str, ...]:
    return tuple(
        sorted({scope for api in app.apis for route in api.routes for scope in route.authorization_scopes})
    )


def _api_key(api: ApiSpec) -> tuple[str, str]:
    return (api.stack_name, api.logical_id)


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
    """The ASGI application uvicorn serves on every API's port: the gateway of the port the request came
    in on, all of them replaced whole on reload."""

    def __init__(self, gateways: dict[int, Gateway]) -> None:
        self.gateways = gateways

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server") or (None, 0)
        await self.gateways[int(server[1] or 0)](scope, receive, send)


class Emulator:
    """The local APIs of one stage: moto, the issuer, the function pools and the HTTP front ends."""

    def __init__(
        self,
        assembly: StageAssembly,
        *,
        listener: socket.socket,
        state_dir: Path,
        console: Console,
        customize: Callable[[LocalApp], LocalApp] | None = None,
        bind_api: Callable[[int, ApiSpec], socket.socket] | None = None,
    ) -> None:
        """``listener`` serves the stage's first HTTP API; ``bind_api(index, api)`` gives the socket of
        each further one (default: a free port on the listener's host). ``customize`` may replace parts
        of the app read from the assembly (tests swap functions)."""
        self.assembly = assembly
        self.console = console
        self._listener = listener
        self._listeners = [listener]
        self._state_dir = state_dir
        self._customize = customize
        self._host = str(listener.getsockname()[0])
        self._bind_api = bind_api or (lambda index, api: bind(self._host, 0))
        self.url = self._url_of(listener)
        self.urls: dict[str, str] = {}
        """Each API's name -> its URL."""
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
        for index, api in enumerate(app.apis[1:], start=1):
            self._listeners.append(self._bind_api(index, api))
        self._ports = {
            _api_key(api): int(listener.getsockname()[1])
            for api, listener in zip(app.apis, self._listeners, strict=True)
        }
        self.urls = {
            api.name: self._url_of(listener) for api, listener in zip(app.apis, self._listeners, strict=True)
        }
        self._front = _Front(self._gateways(app))
        config = uvicorn.Config(
            self._front, lifespan="off", log_level="warning", access_log=False, server_header=False
        )
        self._server = uvicorn.Server(config)
        thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": self._listeners}, name="local-api", daemon=True
        )
        thread.start()
        self._stops.append(lambda: self._stop_server(thread))
        while not self._server.started:
            if not thread.is_alive():
                raise RuntimeError("the HTTP server stopped while starting (see the messages above)")
            time.sleep(0.01)

    @staticmethod
    def _url_of(listener: socket.socket) -> str:
        host, port = listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def url_of(self, api: ApiSpec) -> str:
        """The URL serving ``api``."""
        return f"http://{self._host}:{self._ports[_api_key(api)]}"

    def _create_backing_resources(self, assembly: StageAssembly) -> None:
        tables, secrets = assembly.backing_resources()
        for table in tables:
            assembly.record_created(table.stack_id, table.logical_id, self.aws.create_table(table))
        for secret in secrets:
            assembly.record_created(secret.stack_id, secret.logical_id, self.aws.create_secret(secret))

    def _read_app(self, assembly: StageAssembly) -> LocalApp:
        app = assembly.local_app()
        app = self._customize(app) if self._customize else app
        require_runtime(app)
        return app

    def _gateways(self, app: LocalApp) -> dict[int, Gateway]:
        """The front end of each API of ``app`` by port, with new function pools (``self.app`` and
        ``self.pools`` become its)."""
        platform = Platform(
            python=sys.executable,
            region=app.region,
            aws_endpoint_url=self.aws.endpoint_url,
            xray_daemon_address=self.xray.address,
            console=self.console,
        )
        self.app = app
        template_issuers = {
            route.authorizer.template_issuer for api in app.apis for route in api.routes if route.authorizer
        }
        self.pools = {
            function.key: FunctionPool(
                _trusting_local_issuer(function, template_issuers, self.issuer.url), platform
            )
            for function in app.functions()
        }
        self._all_pools += self.pools.values()
        return {self._ports[_api_key(api)]: self._gateway(api, app.account) for api in app.apis}

    def _gateway(self, api: ApiSpec, account: str) -> Gateway:
        authorizer_specs = {
            route.authorizer.logical_id: route.authorizer for route in api.routes if route.authorizer
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
        return Gateway(
            api, account_id=account, pools=self.pools, authorizers=authorizers, console=self.console
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
            assembly.record_created(secret.stack_id, secret.logical_id, self.aws.create_secret(secret))
        app = self._read_app(assembly)
        if {_api_key(api) for api in app.apis} != set(self._ports):
            raise TemplateError(
                f"the HTTP APIs of {assembly.label} changed ({', '.join(api.name for api in app.apis)}): "
                "restart the emulator to serve them, each on a port of its own"
            )
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
            assembly.record_created(table.stack_id, table.logical_id, self.aws.create_table(table))
        for name in previous:
            self.aws.delete_table(name)
            changes.deleted.append(name)
        retired = list(self.pools.values())
        self.issuer.audience, self.issuer.scopes = _audience(app), _scopes(app)
        self._front.gateways = self._gateways(app)
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
        for listener in self._listeners:
            listener.close()


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
