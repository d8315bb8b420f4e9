"""moto's server mode, made linearizable like the services it stands in for.

moto's own ``ThreadedMotoServer`` handles each request in its own thread with no lock around the
backends, so a conditional write's check and its write can interleave with another request's: under
contention two ``UpdateItem`` calls with the same condition both succeed (measured in
docs/reliability.md). Real DynamoDB never does that, and a test of optimistic concurrency against
such an emulator proves nothing. :class:`LinearizableMotoServer` serves the same moto application
with one lock around each request, so every request sees the effects of all requests before it.

The server can be stopped and started again: it comes back on the same port, with moto's data (kept
in process-wide backends) intact, which is how tests take the local AWS away and bring it back.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class SerializedApplication:
    """A WSGI application that runs the wrapped one for one request at a time.

    The request body is read before the lock is taken and the response body is collected while it
    is held, so a slow client never holds the lock and no backend code runs outside it.
    """

    def __init__(self, application: Any) -> None:
        self._application = application
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit():
            environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(int(length)))
        with self._lock:
            response = self._application(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()


class LinearizableMotoServer:
    """moto on ``host`` (a loopback address) and ``port`` (0: one the OS picks), one request at a time."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running: call start() first")
        return f"http://{self._host}:{self._server.server_port}"

    def start(self) -> None:
        """Listen and serve in a background thread; after a stop, on the port it had before."""
        if self._server is not None:
            return
        application = SerializedApplication(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._host, self._port, application, threaded=True, request_handler=MotoRequestHandler
        )
        self._port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening; connections are refused until :meth:`start`. moto's data is kept."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None
