"""Find a function's code asset and its layers' assets in a synthesized cloud assembly."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ASSET_PATH_METADATA = "aws:asset:path"


@dataclass(frozen=True)
class FunctionAssets:
    """The staged (bundled) folders of one function: its code and each of its layers, in order."""

    code_dir: Path
    layer_dirs: tuple[Path, ...]


def function_assets(outdir: Path, stage: str, handler: str) -> FunctionAssets:
    """The assets of the one function of ``stage`` whose handler is ``handler``."""
    stage_dir = outdir / f"assembly-{stage}"
    found = []
    for template_file in sorted(stage_dir.glob("*.template.json")):
        resources: dict[str, Any] = json.loads(template_file.read_text())["Resources"]
        for resource in resources.values():
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::Lambda::Function" and properties.get("Handler") == handler:
                layers = tuple(
                    _asset_dir(stage_dir, resources[layer["Ref"]]) for layer in properties.get("Layers", [])
                )
                found.append(FunctionAssets(code_dir=_asset_dir(stage_dir, resource), layer_dirs=layers))
    if len(found) != 1:
        raise LookupError(f"expected one function with handler {handler} in {stage_dir}, found {len(found)}")
    return found[0]


def _asset_dir(stage_dir: Path, resource: dict[str, Any]) -> Path:
    relative: str = resource["Metadata"][ASSET_PATH_METADATA]
    return (stage_dir / relative).resolve()
