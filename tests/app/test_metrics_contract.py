"""The built function emits what its rollback alarms watch, checked by the library's contract check.

The dev stage's own code asset and a layer built for this machine (``layer_platform=host``) are invoked
once through the real handler with an API Gateway payload-2.0 event; the metrics it prints must be the
ones the canary's alarms are built from (``cdk_app/service.py``'s ``METRICS``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.assembly import function_assets
from cdk_app import service
from runtime import contract
from serverless_fastapi_cdk.contract_check import check_function


def function_environment(outdir: Path) -> dict[str, str]:
    """The dev function's environment, with placeholders for the values CloudFormation resolves."""
    for template in sorted((outdir / "assembly-dev").glob("*.template.json")):
        resources: dict[str, Any] = json.loads(template.read_text())["Resources"]
        for resource in resources.values():
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::Lambda::Function" and properties.get("Handler") == contract.HANDLER:
                variables = properties["Environment"]["Variables"]
                return {
                    name: value if isinstance(value, str) else f"placeholder-{name.lower()}"
                    for name, value in variables.items()
                }
    raise LookupError("no function with the runtime's handler in the dev stage")


def test_the_service_emits_the_metrics_its_rollback_alarms_watch(layer_variant: Path):
    assets = function_assets(layer_variant, "dev", contract.HANDLER)

    problems = check_function(
        code_dir=assets.code_dir,
        layer_dirs=assets.layer_dirs,
        handler=contract.HANDLER,
        environment=function_environment(layer_variant),
        health_path=service.HEALTH_PATH,
        namespace=service.METRICS.namespace,
        service=service.METRICS.service_name,
        names=service.METRICS.names(),
    )

    assert problems == []
