"""X-Ray tracing: active in Lambda, absent outside it, without errors either way.

The handler runs in a fresh interpreter (tracing is decided at import) against the emulator, and sends
to a UDP socket the test binds where the daemon would listen; one traced interpreter serves every case
run in Lambda's environment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from runtime import tracing
from runtime.ids import new_item_id
from tests.runtime.conftest import SERVICE_NAME, TABLE_NAME
from tests.runtime.lambda_process import (
    Invocation,
    TraceHeader,
    XRayDaemonSocket,
    lambda_tracing_environment,
    process_environment,
    run_in_fresh_process,
)
from tests.support.apigw import http_api_event


def only(documents: list[dict[str, Any]], name: str) -> dict[str, Any]:
    [document] = [document for document in documents if document["name"] == name]
    return document


@dataclass(frozen=True)
class TracedRun:
    """Four invocations of one traced process: a create and a listing, then an unsampled listing and a
    read of a missing item."""

    create: TraceHeader
    listing: TraceHeader
    unsampled: TraceHeader
    missing: TraceHeader
    statuses: list[int]
    stderr: str
    documents: list[dict[str, Any]]

    def trace(self, header: TraceHeader) -> list[dict[str, Any]]:
        return [document for document in self.documents if document["trace_id"] == header.root]


@pytest.fixture(scope="module")
def traced(backend: object, tmp_path_factory: pytest.TempPathFactory) -> TracedRun:
    """One fresh interpreter with Lambda's tracing environment serves every traced case of this module."""
    sub = f"traced-{uuid.uuid4()}"
    create, listing = TraceHeader.new(), TraceHeader.new()
    unsampled, missing = TraceHeader.new(sampled=False), TraceHeader.new()
    with XRayDaemonSocket() as daemon:
        run = run_in_fresh_process(
            [
                Invocation(http_api_event("POST", "/items", sub=sub, body={"name": "traced"}), create),
                Invocation(http_api_event("GET", "/items", sub=sub), listing),
                Invocation(http_api_event("GET", "/items", sub=sub), unsampled),
                Invocation(http_api_event("GET", f"/items/{new_item_id()}", sub=sub), missing),
            ],
            environ=process_environment(**lambda_tracing_environment(daemon_port=daemon.port)),
            scratch=tmp_path_factory.mktemp("traced"),
        )
        documents = daemon.documents()
    return TracedRun(
        create=create,
        listing=listing,
        unsampled=unsampled,
        missing=missing,
        statuses=[response.status for response in run.responses],
        stderr=run.stderr,
        documents=documents,
    )


def test_in_lambda_the_handler_and_each_repository_call_are_traced(traced: TracedRun) -> None:
    assert traced.statuses[:2] == [201, 200]
    assert traced.stderr == ""
    for header, repository_call, operation, cold_start in [
        (traced.create, "create", "PutItem", True),
        (traced.listing, "list_page", "Query", False),
    ]:
        trace = traced.trace(header)
        handler = only(trace, "## handler")
        assert handler["parent_id"] == header.parent
        assert handler["annotations"] == {"ColdStart": cold_start, "Service": SERVICE_NAME}
        # FastAPI runs the route in a worker thread, which inherits the invocation's context.
        repository = only(trace, f"## runtime.repository.ItemRepository.{repository_call}")
        assert repository["parent_id"] == handler["id"]
        dynamodb = only(trace, "dynamodb")
        assert dynamodb["parent_id"] == repository["id"]
        assert dynamodb["namespace"] == "aws"
        assert (dynamodb["aws"]["operation"], dynamodb["aws"]["table_name"]) == (operation, TABLE_NAME)


def test_outside_lambda_a_request_sends_no_segment_and_logs_no_xray_error(tmp_path: Path) -> None:
    """No Lambda variables and tracing not disabled explicitly: Powertools turns tracing off itself."""
    sub = f"untraced-{uuid.uuid4()}"

    with XRayDaemonSocket() as daemon:
        run = run_in_fresh_process(
            [Invocation(http_api_event("POST", "/items", sub=sub, body={"name": "untraced"}))],
            environ=process_environment(AWS_XRAY_DAEMON_ADDRESS=f"127.0.0.1:{daemon.port}"),
            scratch=tmp_path,
        )
        documents = daemon.documents()

    assert [response.status for response in run.responses] == [201]
    assert documents == []
    assert run.stderr == ""
    assert [record for record in run.log_records() if record["level"] in {"WARNING", "ERROR"}] == []


def test_an_unsampled_invocation_sends_nothing_and_a_missing_item_is_an_error_not_a_fault(
    traced: TracedRun,
) -> None:
    assert traced.statuses[2:] == [200, 404]
    assert {document["trace_id"] for document in traced.documents} == {
        traced.create.root,
        traced.listing.root,
        traced.missing.root,
    }
    documents = traced.trace(traced.missing)
    handler = only(documents, "## handler")
    assert handler["annotations"]["ColdStart"] is False
    repository = only(documents, "## runtime.repository.ItemRepository.get")
    assert repository["parent_id"] == handler["id"]
    assert (repository.get("error"), repository.get("fault")) == (True, None)
    assert repository["cause"]["exceptions"][0]["type"] == "ItemNotFoundError"
    dynamodb = only(documents, "dynamodb")
    assert (dynamodb["aws"]["operation"], dynamodb["http"]["response"]["status"]) == ("GetItem", 200)
    assert "error" not in dynamodb


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", True),
        ("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0", False),
        ("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", None),
        ("", None),
        ("Root=1-5759e988-bd862e3fe1be46a994272793\r\nX-Evil: 1;Parent=53995c3f42cd8ad8;Sampled=1", None),
        ("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8\nx;Sampled=1", None),
        ("Root=anything;Parent=53995c3f42cd8ad8;Sampled=1", None),
        ("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=not-hex-at-all!;Sampled=1", None),
    ],
)
def test_trace_headers_are_read_as_lambda_passes_them(value: str, expected: bool | None) -> None:
    header = tracing.TraceHeader.parse(value)
    assert (header.sampled if header else None) is expected
    if header:
        assert (header.root, header.parent) == ("1-5759e988-bd862e3fe1be46a994272793", "53995c3f42cd8ad8")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("169.254.79.129:2000", ("169.254.79.129", 2000)),
        ("tcp:127.0.0.1:2000 udp:127.0.0.2:2001", ("127.0.0.2", 2001)),
        ("", ("127.0.0.1", 2000)),
        ("127.0.0.1:x", None),
        ("127.0.0.1", None),
        ("127.0.0.1:99999", None),
    ],
)
def test_the_daemon_address_takes_lambdas_forms(
    value: str, expected: tuple[str, int] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(tracing.DAEMON_ADDRESS_VARIABLE, value)
    assert tracing.daemon_address() == expected


def test_a_malformed_daemon_address_or_trace_header_never_fails_a_request(tmp_path: Path) -> None:
    """In Lambda with tracing on: the request is served, and nothing of the bad header goes out."""
    sub = f"traced-{uuid.uuid4()}"
    hostile = "Root=1-5759e988-bd862e3fe1be46a994272793\r\nX-Injected: yes;Parent=53995c3f42cd8ad8;Sampled=1"
    environ = process_environment(**lambda_tracing_environment(daemon_port=2000))
    environ[tracing.DAEMON_ADDRESS_VARIABLE] = "127.0.0.1:not-a-port"

    run = run_in_fresh_process(
        [
            Invocation(http_api_event("POST", "/items", sub=sub, body={"name": "traced"}), TraceHeader.new()),
            Invocation(http_api_event("GET", "/items", sub=sub), RawTraceHeader(hostile)),
        ],
        environ=environ,
        scratch=tmp_path,
    )

    assert [response.status for response in run.responses] == [201, 200]
    assert "X-Injected" not in run.stdout + run.stderr


class RawTraceHeader(TraceHeader):
    """A trace header exactly as given, however malformed."""

    raw: str

    def __init__(self, raw: str) -> None:
        super().__init__(root="", parent="")
        object.__setattr__(self, "raw", raw)

    def __str__(self) -> str:
        return str(self.raw)
