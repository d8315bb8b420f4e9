"""The benchmark's Powertools and tracing variants, built as ``make bench`` builds them, each started
once through the probe in a fresh interpreter against the session's moto server.

Building a variant installs its pinned dependencies with pip (the package index is the network this
needs), so these tests carry the ``synth`` marker: they build Lambda assets.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks import variants
from benchmarks.runner import PROBE_FLAGS, Deployment, deploy, lambda_environment, run_probe
from runtime.repository import ItemRepository
from runtime.schemas.items import ItemWrite
from tests.support.apigw import http_api_event
from tests.support.aws_emulator import Emulator, create_items_table
from tests.support.trace import code_objects

pytestmark = pytest.mark.synth

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "runtime" / "requirements.txt"
TABLE_NAME = "bench-variants-items"
USER = "bench-variants-user"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-variants")


@pytest.fixture(scope="module")
def item_id(aws_emulator: Emulator) -> str:
    create_items_table(aws_emulator.dynamodb(), TABLE_NAME)
    return ItemRepository(aws_emulator.dynamodb(), TABLE_NAME).create(USER, ItemWrite(name="bench")).id


@pytest.fixture
def xray_daemon() -> Iterator[socket.socket]:
    """A UDP socket standing in for Lambda's X-Ray daemon, keeping what it receives."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        daemon.setblocking(False)
        yield daemon


def received_documents(daemon: socket.socket) -> list[dict[str, Any]]:
    """Every segment document sent so far: the daemon protocol's header line, then the JSON."""
    documents: list[dict[str, Any]] = []
    while True:
        try:
            datagram = daemon.recv(65536)
        except BlockingIOError:
            return documents
        header, _, body = datagram.partition(b"\n")
        assert json.loads(header) == {"format": "json", "version": 1}
        documents.append(json.loads(body))


def cold_start(
    deployment: Deployment, emulator: Emulator, item_id: str, daemon: socket.socket
) -> tuple[dict[str, Any], str]:
    """The probe's cold-path result for one authenticated ``GET /items/{id}``, and its ``-v`` trace."""
    host, port = daemon.getsockname()
    environment = lambda_environment(
        deployment,
        aws_endpoint_url=emulator.endpoint_url,
        xray_daemon_address=f"{host}:{port}",
        service={"TABLE_NAME": TABLE_NAME, **deployment.variant.environment},
    )
    outcome = run_probe(
        deployment,
        {
            "mode": "cold",
            "handler": deployment.variant.handler,
            "events": [http_api_event("GET", f"/items/{item_id}", sub=USER)],
        },
        environment,
        flags=(*PROBE_FLAGS, "-v"),
    )
    return outcome.result, outcome.stderr


def assert_served_with_phases(result: dict[str, Any], item_id: str) -> None:
    (request,) = result["requests"]
    assert request["status"] == 200
    assert json.loads(request["body"])["id"] == item_id
    app_build_ms = result["init_ms"] - result["init_imports_ms"]
    assert result["init_imports_ms"] > 0
    assert app_build_ms > 0
    assert result["init_imports_ms"] + app_build_ms == pytest.approx(result["init_ms"])
    assert result["init_imported_modules"] > 100
    assert result["compiled_from_source"] == []


def loaded_packages(trace: str, deployment: Deployment) -> set[str]:
    """The top-level packages of the layer whose code the process loaded."""
    assert deployment.opt is not None
    layer = f"{deployment.opt / 'python'}/"
    return {
        path.removeprefix(layer).split("/")[0] for path, _ in code_objects(trace) if path.startswith(layer)
    }


def test_the_powertools_variant_serves_the_item_without_fastapi_or_mangum(
    work: Path, aws_emulator: Emulator, item_id: str, xray_daemon: socket.socket
):
    deployment = deploy(variants.powertools(work, REQUIREMENTS), work / "run" / "powertools")

    result, trace = cold_start(deployment, aws_emulator, item_id, xray_daemon)

    assert_served_with_phases(result, item_id)
    packages = loaded_packages(trace, deployment)
    assert {"aws_lambda_powertools", "botocore"} <= packages
    assert not packages & {"fastapi", "mangum", "starlette", "pydantic"}


def subsegments(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every (sub)segment sent, nested ones included, by name."""
    found = {}
    pending = list(documents)
    while pending:
        current = pending.pop()
        found[current["name"]] = current
        pending += current.get("subsegments", [])
    return found


def assert_traced(daemon: socket.socket, read_name: str) -> None:
    """The invocation (a cold start), the repository call and the DynamoDB call, in one trace."""
    sent = subsegments(received_documents(daemon))
    assert {"## handler", read_name, "dynamodb"} <= set(sent)
    assert sent["## handler"]["annotations"]["ColdStart"] is True
    assert sent["dynamodb"]["aws"]["operation"] == "GetItem"
    assert len({document["trace_id"] for document in sent.values()}) == 1


def test_the_xray_sdk_variant_traces_the_invocation_the_read_and_the_dynamodb_call(
    work: Path, aws_emulator: Emulator, item_id: str, xray_daemon: socket.socket
):
    deployment = deploy(variants.floor_with_xray_sdk(work, REQUIREMENTS), work / "run" / "xray-sdk")

    result, trace = cold_start(deployment, aws_emulator, item_id, xray_daemon)

    assert_served_with_phases(result, item_id)
    assert "aws_xray_sdk" in loaded_packages(trace, deployment)
    assert_traced(xray_daemon, "## read_item")


def test_the_project_tracer_variant_traces_the_same_calls_without_the_sdk(
    request: pytest.FixtureRequest,
    work: Path,
    aws_emulator: Emulator,
    item_id: str,
    xray_daemon: socket.socket,
):
    if not (ROOT / variants.PROJECT_TRACER).is_file():
        pytest.skip(f"this tree has no {variants.PROJECT_TRACER}, so make bench leaves the variant out")
    assembly: Path = request.getfixturevalue("dev_assembly_dir")
    variant = variants.floor_with_project_tracer(work, REQUIREMENTS, assembly)
    assert variant is not None
    deployment = deploy(variant, work / "run" / "project-tracer")

    result, trace = cold_start(deployment, aws_emulator, item_id, xray_daemon)

    assert_served_with_phases(result, item_id)
    assert "aws_xray_sdk" not in loaded_packages(trace, deployment)
    assert_traced(xray_daemon, "## traced_app.build.<locals>.read_item")
