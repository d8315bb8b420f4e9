"""Keep only the AWS SDK models of the services a function calls, in a built layer's ``python/`` folder.

botocore ships a model of every AWS service (over 400 folders, most of its size), and creating any
client lists all of them and parses ``endpoints.json``, which names every service's endpoints in every
partition. Trimmed to the services the function calls, the layer loses about 20 MB unzipped and the
first client of each cold start is created tens of milliseconds sooner (``make bench`` measures both).

Kept: ``botocore/data/<service>/`` of each service named, the shared files at the root of
``botocore/data`` (partitions, retry rules, defaults), the entries of those services' endpoint prefixes
in ``endpoints.json``, and ``boto3/data/<service>/`` of the same services. A client of any other
service then fails with botocore's ``UnknownServiceError``, as in any installation lacking its model.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Collection
from pathlib import Path
from typing import Any

from serverless_fastapi_cdk.bundling import BundlingError


def keep_sdk_models(site: Path, services: Collection[str]) -> None:
    """Remove from ``site`` every botocore and boto3 service model but those of ``services``."""
    models = site / "botocore" / "data"
    if not models.is_dir():
        raise BundlingError(f"aws_sdk_services is set but {site} holds no botocore to trim")
    available = {entry.name for entry in models.iterdir() if entry.is_dir()}
    unknown = sorted(set(services) - available)
    if unknown:
        raise BundlingError(f"aws_sdk_services: botocore has no service named {', '.join(unknown)}")
    prefixes = {_endpoint_prefix(models / service) for service in services}
    _keep_folders(models, services)
    _keep_folders(site / "boto3" / "data", services)
    endpoints_file = models / "endpoints.json"
    endpoints: dict[str, Any] = json.loads(endpoints_file.read_text())
    for partition in endpoints["partitions"]:
        partition["services"] = {
            prefix: entry for prefix, entry in partition["services"].items() if prefix in prefixes
        }
    endpoints_file.write_text(json.dumps(endpoints, separators=(",", ":")))


def _keep_folders(parent: Path, names: Collection[str]) -> None:
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        if entry.is_dir() and entry.name not in names:
            shutil.rmtree(entry)


def _endpoint_prefix(service_models: Path) -> str:
    """The prefix ``endpoints.json`` files the service under, from its newest API version's model."""
    newest = max(entry for entry in service_models.iterdir() if entry.is_dir())
    compressed = newest / "service-2.json.gz"
    text = (
        gzip.decompress(compressed.read_bytes())
        if compressed.exists()
        else (newest / "service-2.json").read_bytes()
    )
    prefix: str = json.loads(text)["metadata"]["endpointPrefix"]
    return prefix
