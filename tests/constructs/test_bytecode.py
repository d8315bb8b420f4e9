"""Lambda runs the deployed bytecode: no module of the function or its layer is compiled at a cold start.

The dev stage's function and layer assets, as synthesized (``dev_assembly_dir``, shared with the local
API tests), are zipped as the CDK CLI zips them (every entry dated 1980-01-01), unpacked read-only with
those dates, and run by a fresh ``python -I -S -v`` with only them on its module path, function code
first, then the layer's ``python/``, as Lambda lays them out. The interpreter's ``-v`` trace says for
every module whether its code object came from the ``.pyc`` or from the source; the probe's import hook
records the same from inside.

Host platform: that synthesis builds the layer with ``layer_platform=host``, the same bundler with
wheels for this machine, because the aarch64 wheels Lambda gets cannot be imported on x86_64.

Read-only: the root user ignores permission bits, so the interpreter runs with bytecode writing on (no
``-B``, no ``PYTHONDONTWRITEBYTECODE``) and the unpacked trees must be unchanged afterwards; a module
compiled from source would have left a new ``.pyc`` behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks.artifacts import tree_listing
from benchmarks.assembly import function_assets
from benchmarks.runner import Deployment, ProbeOutcome, deploy, lambda_environment, run_probe, xray_sink
from benchmarks.variants import Variant
from runtime.contract import HANDLER
from runtime.cursors import encode_cursor
from runtime.repository import ItemRepository
from runtime.schemas.items import ItemWrite
from tests.support.apigw import http_api_event
from tests.support.aws_emulator import Emulator, create_cursor_secret, create_items_table
from tests.support.token_issuer import issuer_environment
from tests.support.trace import code_objects

TABLE_NAME = "bytecode-test-items"
SECRET_NAME = "bytecode-test/cursor-signing-key"
USER = "bytecode-tester"


@pytest.fixture(scope="module")
def deployment(dev_assembly_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    assets = function_assets(dev_assembly_dir, "dev", HANDLER)
    (layer,) = assets.layer_dirs
    variant = Variant(
        name="project", description="synthesized", handler=HANDLER, code_dir=assets.code_dir, layer_dir=layer
    )
    return deploy(variant, tmp_path_factory.mktemp("lambda") / "project")


@dataclass(frozen=True)
class Backend:
    environment: dict[str, str]
    item_ids: tuple[str, str]
    cursor_key: bytes


@pytest.fixture(scope="module")
def backend(aws_emulator: Emulator, deployment: Deployment) -> Iterator[Backend]:
    """The table, the cursor secret and two items of the user, in the session's moto server."""
    create_items_table(aws_emulator.dynamodb(), TABLE_NAME)
    key = create_cursor_secret(aws_emulator.secretsmanager(), SECRET_NAME)
    repository = ItemRepository(aws_emulator.dynamodb(), TABLE_NAME)
    first, second = (repository.create(USER, ItemWrite(name=name)) for name in ("first", "second"))
    with xray_sink() as xray_address:
        environment = lambda_environment(
            deployment,
            aws_endpoint_url=aws_emulator.endpoint_url,
            xray_daemon_address=xray_address,
            service={
                "TABLE_NAME": TABLE_NAME,
                "CURSOR_SECRET_NAME": SECRET_NAME,
                "POWERTOOLS_SERVICE_NAME": "items-api",
                "POWERTOOLS_METRICS_NAMESPACE": "ItemsService",
                **issuer_environment(),
            },
        )
        yield Backend(environment=environment, item_ids=(first.id, second.id), cursor_key=key.encode())


def requests(backend: Backend) -> list[dict[str, Any]]:
    """One request down every path that imports something lazily: DynamoDB, the secret, idempotency."""
    first, _ = backend.item_ids
    cursor = encode_cursor(owner=USER, after_id=first, key=backend.cursor_key)
    return [
        http_api_event("GET", "/health"),
        http_api_event("GET", f"/items/{first}", sub=USER),
        http_api_event("GET", "/items", sub=USER, query={"limit": "1", "cursor": cursor}),
        http_api_event(
            "POST", "/items", sub=USER, body={"name": "third"}, headers={"Idempotency-Key": "bytecode-test"}
        ),
    ]


@dataclass(frozen=True)
class ColdStart:
    outcome: ProbeOutcome
    trees_before: list[dict[str, tuple[int, int]]]


def unpacked_trees(deployment: Deployment) -> list[Path]:
    assert deployment.opt is not None
    return [deployment.task, deployment.opt]


@pytest.fixture(scope="module")
def cold_start(deployment: Deployment, backend: Backend) -> ColdStart:
    """One fresh interpreter importing the handler and serving every request, traced by ``-v``."""
    before = [tree_listing(tree) for tree in unpacked_trees(deployment)]
    outcome = run_probe(
        deployment,
        {"mode": "cold", "handler": HANDLER, "events": requests(backend)},
        backend.environment,
        flags=("-I", "-S", "-v"),
    )
    return ColdStart(outcome=outcome, trees_before=before)


def test_every_request_is_served(cold_start: ColdStart, backend: Backend):
    responses = cold_start.outcome.result["requests"]
    statuses = [response["status"] for response in responses]
    health, item, page, created = responses

    assert statuses == [200, 200, 200, 201]
    assert json.loads(item["body"])["id"] == backend.item_ids[0]
    assert [listed["id"] for listed in json.loads(page["body"])["items"]] == [backend.item_ids[1]]
    assert json.loads(created["body"])["name"] == "third"
    assert json.loads(health["body"])["status"] == "ok"


def relative_to_any(path: str, roots: list[str]) -> str:
    (root,) = [root for root in roots if path.startswith(f"{root}/")]
    return Path(path).relative_to(root).as_posix()


def test_no_module_of_the_function_or_the_layer_is_compiled_from_source(
    cold_start: ColdStart, deployment: Deployment
):
    roots = deployment.module_path
    traced = code_objects(cold_start.outcome.stderr)
    deployed = [(path, origin) for path, origin in traced if path.startswith(tuple(roots))]
    from_source = [path for path, origin in deployed if origin == "source"]
    loaded = {relative_to_any(path, roots) for path, _ in deployed}

    assert from_source == []
    assert cold_start.outcome.result["compiled_from_source"] == []
    assert {
        "runtime/__pycache__/handler.cpython-313.pyc",
        "fastapi/__pycache__/routing.cpython-313.pyc",
        "botocore/__pycache__/client.cpython-313.pyc",
        "runtime/__pycache__/tracing.cpython-313.pyc",
        "aws_lambda_powertools/utilities/idempotency/__pycache__/idempotency.cpython-313.pyc",
        "aws_lambda_powertools/utilities/parameters/__pycache__/secrets.cpython-313.pyc",
    } <= loaded
    assert len(deployed) > 400


def test_nothing_is_written_into_the_unpacked_code_or_layer(cold_start: ColdStart, deployment: Deployment):
    trees = unpacked_trees(deployment)
    writable = [path for tree in trees for path in [tree, *tree.rglob("*")] if path.stat().st_mode & 0o222]

    assert [tree_listing(tree) for tree in trees] == cold_start.trees_before
    assert writable == []
