"""docs/api/openapi.json is the document the stages serve, so every change to the API shows in review.

The file is what ``make docs`` writes; a change to a route, a schema or the prose that is not followed by
``make docs`` fails here. Which stages serve a document is the config's decision, not the generator's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdk_app.config import ENVIRONMENTS
from tools.api_contract.documents import (
    CONTRACT_FILE,
    ROOT,
    ContractError,
    contract,
    project_version,
    render,
    stage_documents,
)


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return stage_documents()


def test_the_committed_contract_is_what_make_docs_writes(documents: dict[str, dict[str, Any]]) -> None:
    committed = (ROOT / CONTRACT_FILE).read_text()

    assert committed == render(contract(documents)), f"{CONTRACT_FILE} is stale: run `make docs`"


def test_the_stages_that_serve_docs_are_those_the_config_turns_them_on_for(
    documents: dict[str, dict[str, Any]],
) -> None:
    assert set(documents) == {config.name for config in ENVIRONMENTS if config.enable_docs}
    assert set(documents) == {"dev", "staging"}


def test_the_document_carries_the_projects_version(documents: dict[str, dict[str, Any]]) -> None:
    assert {document["info"]["version"] for document in documents.values()} == {project_version()}


def test_rendering_is_byte_stable_whatever_the_key_order() -> None:
    document = {"paths": {"/b": {}, "/a": {}}, "info": {"version": "1", "title": "t"}, "openapi": "3.1.0"}
    shuffled = json.loads(json.dumps(dict(reversed(list(document.items())))))

    assert render(document) == render(shuffled)
    assert render(document).index('"info"') < render(document).index('"openapi"')
    assert render(document).endswith("}\n")


def test_stages_serving_different_documents_are_refused() -> None:
    with pytest.raises(ContractError, match="dev, staging"):
        contract({"dev": {"info": {"version": "1"}}, "staging": {"info": {"version": "2"}}})
