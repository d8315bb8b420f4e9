"""X-Ray tracing: active in Lambda, absent outside it, without errors either way.

The handler runs in a fresh interpreter (Powertools decides at import whether tracing is on) against
the emulator, and the X-Ray SDK sends to a UDP socket the test binds where the daemon would listen.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

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


def test_in_lambda_the_handler_and_each_repository_call_are_traced(tmp_path: Path) -> None:
    sub = f"traced-{uuid.uuid4()}"
    create, listing = TraceHeader.new(), TraceHeader.new()

    with XRayDaemonSocket() as daemon:
        run = run_in_fresh_process(
            [
                Invocation(http_api_event("POST", "/items", sub=sub, body={"name": "traced"}), create),
                Invocation(http_api_event("GET", "/items", sub=sub), listing),
            ],
            environ=process_environment(**lambda_tracing_environment(daemon_port=daemon.port)),
            scratch=tmp_path,
        )
        documents = daemon.documents()

    assert [response.status for response in run.responses] == [201, 200]
    assert run.stderr == ""
    for header, repository_call, operation, cold_start in [
        (create, "create", "PutItem", True),
        (listing, "list_page", "Query", False),
    ]:
        trace = [document for document in documents if document["trace_id"] == header.root]
        handler = only(trace, "## handler")
        assert handler["parent_id"] == header.parent
        assert handler["annotations"] == {"ColdStart": cold_start, "Service": SERVICE_NAME}
        # FastAPI runs the route in a worker thread, where the X-Ray SDK's thread-local context starts
        # afresh from the trace header: the repository call hangs off the function's segment.
        repository = only(trace, f"## runtime.repository.ItemRepository.{repository_call}")
        assert repository["parent_id"] == header.parent
        dynamodb = only(trace, "dynamodb")
        assert dynamodb["parent_id"] == repository["id"]
        assert dynamodb["namespace"] == "aws"
        assert (dynamodb["aws"]["operation"], dynamodb["aws"]["table_name"]) == (operation, TABLE_NAME)
    assert {document["trace_id"] for document in documents} == {create.root, listing.root}


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
