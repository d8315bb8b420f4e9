"""Session fixtures for the review tooling: the real app synthesized once, plus three changed variants.

Each variant is a real synthesis of app.py with one deliberate change applied in-process (a construct
mutation, a shared constant, or CDK context), the way a pull request would change the code:

- ``iam_variant``: the dev function's role gains an S3 read statement;
- ``table_key_variant``: the table's partition key is renamed (replaces every environment's table);
- ``layer_variant``: only the dependency layer changes (built for this machine, ``layer_platform=host``).

The variants are needed only as files, so they come from the synthesis cache
(``tests.support.synthesis_cache``), keyed by the app's inputs and this module's source (the changes).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk import aws_iam as iam

import app as cdk_entry
from cdk_app.stage import ServiceStage
from runtime import contract
from tests.support.cdk_synthesis import SynthesizedApp, cdk_json_context
from tests.support.synthesis_cache import cached_synthesis

ADDED_BUCKET_ARN = "arn:aws:s3:::review-fixture-reports/daily.json"
RENAMED_PARTITION_KEY = "id"

type Mutation = Callable[[dict[str, ServiceStage]], None]


VARIANT_SOURCES = (Path(__file__), Path(cdk_json_context.__code__.co_filename))
"""What a variant is made from besides the app: its change (this module) and the synthesis context."""


def cached_variant(name: str, outdir: Path, synthesize: Callable[[Path], object]) -> Path:
    sources = tuple(path.read_text() for path in VARIANT_SOURCES)
    return cached_synthesis(f"variant-{name}", outdir, synthesize, extra=sources)


def synthesize(outdir: Path, *, mutate: Mutation | None = None, **context: Any) -> Path:
    """Synthesize app.py's stages into ``outdir``, after ``mutate`` changed the construct tree."""
    app = App(context={**cdk_json_context(), **context}, outdir=str(outdir))
    stages = {stage.config.name: stage for stage in cdk_entry.build(app)}
    if mutate is not None:
        mutate(stages)
    app.synth()
    return outdir


@pytest.fixture(scope="session")
def baseline_assembly(synthesized_app: SynthesizedApp) -> Path:
    """Every environment of the app as it is in the working tree: the session's shared synthesis."""
    return synthesized_app.outdir


def _grant_s3_read(stages: dict[str, ServiceStage]) -> None:
    stages["dev"].stateless.service.api_function.role.add_to_policy(
        iam.PolicyStatement(actions=["s3:GetObject"], resources=[ADDED_BUCKET_ARN])
    )


@pytest.fixture(scope="session")
def iam_variant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cached_variant(
        "iam", tmp_path_factory.mktemp("iam"), lambda outdir: synthesize(outdir, mutate=_grant_s3_read)
    )


@pytest.fixture(scope="session")
def table_key_variant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The key renamed in runtime/contract.py, as a pull request would; restored right after synthesis."""

    def renamed(outdir: Path) -> Path:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(contract, "TABLE_PARTITION_KEY", RENAMED_PARTITION_KEY)
            return synthesize(outdir)

    return cached_variant("table-key", tmp_path_factory.mktemp("table-key"), renamed)


@pytest.fixture(scope="session")
def layer_variant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cached_variant(
        "layer", tmp_path_factory.mktemp("layer"), lambda outdir: synthesize(outdir, layer_platform="host")
    )
