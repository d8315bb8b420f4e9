"""The OpenAPI document each stage serves, built from the runtime exactly as that stage configures it.

A stage serves ``/openapi.json`` when its :class:`~cdk_app.config.EnvironmentConfig` turns docs on (dev and
staging; prod does not). Its document is the runtime's app made from the environment variables the stage
gives the function (:func:`cdk_app.service.environment`), so nothing here restates how a stage differs.
Every such stage serves the same document today, so it is committed once, as :data:`CONTRACT_FILE`; a
stage that ever serves a different one makes :func:`contract` fail rather than pick one silently.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_FILE = Path("docs/api/openapi.json")
"""The committed contract, relative to the repository root."""
_PLACEHOLDER_ENVIRONMENT = {
    "POWERTOOLS_METRICS_NAMESPACE": "contract",
}
"""What the runtime's settings require besides the stage's own variables; the document does not show it."""
_UNUSED = "unused"
"""The table and secret names: the app needs them, its document does not mention them."""


class ContractError(RuntimeError):
    """The stages that serve a document do not serve the same one."""


def project_version(root: Path = ROOT) -> str:
    """The version in pyproject.toml: every stage's ``APP_VERSION`` and so the document's ``info.version``."""
    with (root / "pyproject.toml").open("rb") as pyproject:
        return str(tomllib.load(pyproject)["project"]["version"])


def stage_documents() -> dict[str, dict[str, Any]]:
    """The document of every stage that serves one, by stage name."""
    from cdk_app.config import ENVIRONMENTS
    from cdk_app.service import environment
    from runtime.main import create_app
    from runtime.settings import Settings

    documents = {}
    for config in ENVIRONMENTS:
        if not config.enable_docs:
            continue
        variables = environment(
            table_name=_UNUSED,
            cursor_secret_arn=_UNUSED,
            enable_docs=config.enable_docs,
            app_version=project_version(),
        )
        app = create_app(Settings.from_environ({**_PLACEHOLDER_ENVIRONMENT, **variables}))
        documents[config.name] = app.openapi()
    return documents


def contract(documents: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The one document that every stage in ``documents`` serves."""
    texts = {stage: render(document) for stage, document in documents.items()}
    if not texts:
        raise ContractError("no stage serves an OpenAPI document (enable_docs is off everywhere)")
    if len(set(texts.values())) > 1:
        raise ContractError(
            f"the stages {', '.join(sorted(texts))} serve different OpenAPI documents: commit one file per "
            "stage instead of one for all"
        )
    first: dict[str, Any] = json.loads(next(iter(texts.values())))
    return first


def render(document: Mapping[str, Any]) -> str:
    """``document`` as committed: sorted keys, two-space indents, one trailing newline, byte-stable."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
