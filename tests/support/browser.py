"""A real browser for tests: Debian's Chromium, headless, reading a page's DOM once its scripts are done.

Chromium loads the page with ``--dump-dom`` and a virtual-time budget: virtual time stands still while
the page's requests are in flight, so the DOM printed is the one after its ``fetch`` calls answered,
however slow the machine. Each run gets a fresh profile. A machine without Chromium fails the test with
the packages to install (``make test`` installs them when it runs as root, see ``browser-setup``).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
PACKAGES = "chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
VIRTUAL_TIME_BUDGET_MS = 20_000
"""Virtual milliseconds the page may run; time spent waiting on the network does not count."""
WALL_CLOCK_LIMIT_SECONDS = 120


def chromium() -> str:
    """The Chromium binary, or a test failure naming the packages that provide it."""
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if found is None:
        pytest.fail(f"Chromium is not installed: apt-get install {PACKAGES} (or run `make test` as root)")
    return found


def rendered_dom(url: str, profile: Path) -> str:
    """The page's DOM after its scripts and their requests finished, as Chromium serialises it."""
    result = subprocess.run(  # noqa: S603 - fixed argv, the URL is the test's own
        [
            chromium(),
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=WALL_CLOCK_LIMIT_SECONDS,
        check=False,
    )
    if result.returncode != 0 or "<html" not in result.stdout:
        pytest.fail(f"Chromium failed ({result.returncode}): {result.stderr[-2000:]}")
    return result.stdout


def element_text(dom: str, element_id: str) -> str:
    """The text of the element with ``id`` (a ``<pre>`` or ``<div>`` without child elements)."""
    match = re.search(rf'<(\w+) id="{element_id}">(.*?)</\1>', dom, re.DOTALL)
    if match is None:
        raise AssertionError(f"no element #{element_id} in the page:\n{dom[:2000]}")
    return html.unescape(match.group(2))


@contextmanager
def page_server(page: str, *, host: str, port: int) -> Iterator[None]:
    """Serves ``page`` at ``/`` on ``host:port`` (loopback) while the block runs."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = page.encode()
            self.send_response(200 if self.path == "/" else 404)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: the test reads the page, not the server's log."""

    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as error:
        pytest.fail(f"cannot serve the test page on {host}:{port} ({error}); is something else using it?")
    thread = threading.Thread(target=server.serve_forever, name="page-server", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
