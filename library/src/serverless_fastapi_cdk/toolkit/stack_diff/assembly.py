"""The stacks of a synthesized cloud assembly by display name (``dev/Stateful``), stages included."""

from __future__ import annotations

from pathlib import Path

from serverless_fastapi_cdk.toolkit.cloud_assembly import (
    AssemblyError,
    CloudAssembly,
    StackTemplate,
    Template,
)

__all__ = ["AssemblyError", "StackTemplate", "Template", "load_assembly"]


def load_assembly(directory: Path) -> dict[str, StackTemplate]:
    """Every stack of the assembly in ``directory``, keyed by display name, sorted."""
    return dict(sorted(CloudAssembly(directory).by_name().items()))
