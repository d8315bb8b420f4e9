"""The real handler in a fresh interpreter, as a Lambda execution environment runs it, and an X-Ray socket.

What only a new process shows (the cold-start flag of the first invocation, tracing, which Powertools
decides once at import) is tested here: the parent writes the invocations to a file, a child
interpreter (``python -m tests.runtime.lambda_process``) imports ``runtime.handler``, invokes it once
per event, setting ``_X_AMZN_TRACE_ID`` before each as Lambda does, and writes the responses back.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from tests.support.apigw import HttpResponse, invoke

ROOT = Path(__file__).resolve().parents[2]
FUNCTION_NAME = "items-service"
TRACE_HEADER_VARIABLE = "_X_AMZN_TRACE_ID"
TRACING_VARIABLES = (
    "LAMBDA_TASK_ROOT",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_XRAY_DAEMON_ADDRESS",
    TRACE_HEADER_VARIABLE,
    "POWERTOOLS_TRACE_DISABLED",
)
CHILD_TIMEOUT_SECONDS = 60


def process_environment(**overrides: str) -> dict[str, str]:
    """This test process's environment (settings, emulator endpoint) without any tracing variable."""
    environ = {name: value for name, value in os.environ.items() if name not in TRACING_VARIABLES}
    return {**environ, **overrides}


def lambda_tracing_environment(*, daemon_port: int) -> dict[str, str]:
    """The variables Lambda sets for an active-tracing function (the trace header comes per invocation)."""
    return {
        "LAMBDA_TASK_ROOT": str(ROOT),
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon_port}",
    }


@dataclass(frozen=True)
class TraceHeader:
    """An ``_X_AMZN_TRACE_ID``: the trace's root and the id of the function's segment."""

    root: str
    parent: str
    sampled: bool = True

    @classmethod
    def new(cls, *, sampled: bool = True) -> TraceHeader:
        root = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
        return cls(root=root, parent=secrets.token_hex(8), sampled=sampled)

    def __str__(self) -> str:
        return f"Root={self.root};Parent={self.parent};Sampled={int(self.sampled)}"


@dataclass(frozen=True)
class Invocation:
    event: dict[str, Any]
    trace_header: TraceHeader | None = None


@dataclass(frozen=True)
class ProcessRun:
    responses: list[HttpResponse]
    stdout: str
    stderr: str

    def log_records(self) -> list[dict[str, Any]]:
        """The Powertools JSON log lines of the child's standard output."""
        records = []
        for line in self.stdout.splitlines():
            if line.startswith("{"):
                document = json.loads(line)
                if "level" in document:
                    records.append(document)
        return records


def run_in_fresh_process(
    invocations: list[Invocation], *, environ: Mapping[str, str], scratch: Path
) -> ProcessRun:
    """Invoke the handler with each event, in order, in one new interpreter with ``environ``."""
    requests = scratch / "invocations.json"
    responses = scratch / "responses.json"
    requests.write_text(
        json.dumps(
            [
                {"event": invocation.event, "trace_header": str(invocation.trace_header or "")}
                for invocation in invocations
            ]
        )
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", __name__, str(requests), str(responses)],
        capture_output=True,
        text=True,
        env=dict(environ),
        cwd=ROOT,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return ProcessRun(
        responses=[
            HttpResponse(status=status, headers=headers, body=base64.b64decode(body))
            for status, headers, body in json.loads(responses.read_text())
        ],
        stdout=result.stdout,
        stderr=result.stderr,
    )


class XRayDaemonSocket:
    """A UDP socket on a free loopback port, standing where the X-Ray daemon listens.

    The SDK sends each segment document as one datagram; :meth:`documents` reads those received so
    far and flattens them, nested subsegments included, each with the id of its parent.
    """

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.setblocking(False)
        self.port: int = self._socket.getsockname()[1]

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._socket.close()

    def documents(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            try:
                datagram = self._socket.recv(65_535)
            except BlockingIOError:
                return found
            header, _, body = datagram.decode().partition("\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            found.extend(_flattened(json.loads(body), parent_id=None))


def _flattened(document: dict[str, Any], parent_id: str | None) -> Iterator[dict[str, Any]]:
    children = document.get("subsegments", [])
    yield {
        **{key: value for key, value in document.items() if key != "subsegments"},
        "parent_id": document.get("parent_id", parent_id),
    }
    for child in children:
        yield from _flattened(child, parent_id=document["id"])


def _main(requests: Path, responses: Path) -> None:
    from runtime.handler import handler

    answered = []
    for invocation in json.loads(requests.read_text()):
        if invocation["trace_header"]:
            os.environ[TRACE_HEADER_VARIABLE] = invocation["trace_header"]
        else:
            os.environ.pop(TRACE_HEADER_VARIABLE, None)
        response = invoke(handler, invocation["event"])
        answered.append([response.status, response.headers, base64.b64encode(response.body).decode()])
    responses.write_text(json.dumps(answered))


if __name__ == "__main__":
    _main(Path(sys.argv[1]), Path(sys.argv[2]))
