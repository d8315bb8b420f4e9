"""The emulator answers without Nagle's stall (found by the load test: every response took 40 ms more).

uvicorn writes a response's head and body separately; on a connection without TCP_NODELAY the body
waits for the client's delayed ACK. asyncio sets TCP_NODELAY only on sockets it creates itself, not on
those accepted from the listener the emulator hands to uvicorn, so the listener must carry it.
"""

from __future__ import annotations

import socket

from serverless_fastapi_cdk.toolkit.local_api.emulator import bind


def test_connections_accepted_by_the_emulators_listener_have_nagle_disabled() -> None:
    listener = bind("127.0.0.1", 0)
    try:
        with socket.create_connection(listener.getsockname()[:2], timeout=2):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        listener.close()
