"""The dependency layer keeps only the AWS SDK models the runtime calls, and leaves out excluded files.

Unit cases run :func:`keep_sdk_models` on a stand-in botocore tree; the others read the real Lambda
layer of the session's synthesis (``synthesized_app``, arm64 wheels: botocore is pure Python, so this
machine can still create clients from it).
"""

from __future__ import annotations

import ast
import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack

from benchmarks.assembly import function_assets
from runtime.contract import AWS_SERVICES, DOCS_LAYER_ASSETS, HANDLER, LAYER_EXCLUDE
from runtime.routers.docs import ASSETS, SWAGGER_UI_PACKAGE
from serverless_fastapi_cdk.bundling import BundlingError
from serverless_fastapi_cdk.dependency_layer import DependencyLayer
from serverless_fastapi_cdk.sdk_models import keep_sdk_models
from tests.support.cdk_synthesis import FIXTURES, SynthesizedApp


def write_model(data: Path, service: str, version: str, prefix: str, *, compressed: bool) -> None:
    folder = data / service / version
    folder.mkdir(parents=True)
    model = json.dumps({"metadata": {"endpointPrefix": prefix}}).encode()
    if compressed:
        (folder / "service-2.json.gz").write_bytes(gzip.compress(model))
    else:
        (folder / "service-2.json").write_bytes(model)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A stand-in layer: three botocore models (one filed under another endpoint prefix), boto3 data."""
    data = tmp_path / "botocore" / "data"
    write_model(data, "dynamodb", "2011-12-05", "dynamodb-old", compressed=True)
    write_model(data, "dynamodb", "2012-08-10", "dynamodb", compressed=True)
    write_model(data, "dynamodbstreams", "2012-08-10", "streams.dynamodb", compressed=False)
    write_model(data, "s3", "2006-03-01", "s3", compressed=True)
    (data / "_retry.json").write_text("{}")
    services: dict[str, Any] = {"dynamodb": {"endpoints": {}}, "streams.dynamodb": {}, "s3": {}}
    (data / "endpoints.json").write_text(
        json.dumps({"partitions": [{"partition": "aws", "services": services}], "version": 3})
    )
    for service in ("dynamodb", "s3"):
        (tmp_path / "boto3" / "data" / service).mkdir(parents=True)
    return tmp_path


def test_only_the_named_services_models_and_endpoints_are_kept(site: Path):
    keep_sdk_models(site, ["dynamodb", "dynamodbstreams"])

    data = site / "botocore" / "data"
    endpoints = json.loads((data / "endpoints.json").read_text())
    assert sorted(entry.name for entry in data.iterdir()) == [
        "_retry.json",
        "dynamodb",
        "dynamodbstreams",
        "endpoints.json",
    ]
    assert sorted(entry.name for entry in (data / "dynamodb").iterdir()) == ["2011-12-05", "2012-08-10"]
    kept: dict[str, Any] = {"dynamodb": {"endpoints": {}}, "streams.dynamodb": {}}
    assert endpoints == {"partitions": [{"partition": "aws", "services": kept}], "version": 3}
    assert [entry.name for entry in (site / "boto3" / "data").iterdir()] == ["dynamodb"]


def test_a_service_botocore_does_not_know_fails_naming_it(site: Path):
    with pytest.raises(BundlingError, match="botocore has no service named dynamo, sqs"):
        keep_sdk_models(site, ["dynamo", "sqs", "s3"])


def test_a_layer_without_botocore_cannot_be_trimmed(tmp_path: Path):
    with pytest.raises(BundlingError, match="holds no botocore"):
        keep_sdk_models(tmp_path, ["dynamodb"])


@pytest.fixture(scope="module")
def lambda_layer(synthesized_app: SynthesizedApp) -> Path:
    (layer,) = function_assets(synthesized_app.outdir, "dev", HANDLER).layer_dirs
    return layer / "python"


def test_the_lambda_layer_keeps_the_models_of_the_services_the_runtime_calls(lambda_layer: Path):
    data = lambda_layer / "botocore" / "data"
    endpoints: dict[str, Any] = json.loads((data / "endpoints.json").read_text())
    (aws,) = [partition for partition in endpoints["partitions"] if partition["partition"] == "aws"]

    assert sorted(entry.name for entry in data.iterdir() if entry.is_dir()) == sorted(AWS_SERVICES)
    assert sorted(aws["services"]) == sorted(AWS_SERVICES)
    assert {entry.name for entry in (lambda_layer / "boto3" / "data").iterdir()} <= set(AWS_SERVICES)


CLIENT_PROBE = """
import sys
from botocore.exceptions import UnknownServiceError
from botocore.session import Session
session = Session()
for service in sys.argv[1:]:
    try:
        client = session.create_client(service, region_name="eu-west-1")
        print(service, client.meta.endpoint_url)
    except UnknownServiceError:
        print(service, "unknown")
"""


def test_clients_of_the_kept_services_work_and_any_other_is_unknown(lambda_layer: Path):
    script = f"import sys; sys.path[:0] = [{str(lambda_layer)!r}]\n{CLIENT_PROBE}"
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-I", "-S", "-c", script, "dynamodb", "secretsmanager", "s3"],
        capture_output=True,
        text=True,
        check=True,
        env={"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"},
    )

    assert result.stdout.splitlines() == [
        "dynamodb https://dynamodb.eu-west-1.amazonaws.com",
        "secretsmanager https://secretsmanager.eu-west-1.amazonaws.com",
        "s3 unknown",
    ]


def test_the_swagger_ui_assets_the_service_serves_are_in_the_lambda_layer(lambda_layer: Path):
    folder = lambda_layer.joinpath(*SWAGGER_UI_PACKAGE.split("."))
    assert sorted(path.name for path in folder.glob("*.min.*")) == sorted(name for name, _ in ASSETS.values())


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, root: Path) -> set[str]:
    """Every module ``path`` imports anywhere in its code, relative imports made absolute."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_no_module_left_in_the_layer_imports_one_left_out(lambda_layer: Path):
    """What :data:`LAYER_EXCLUDE` leaves out is imported by nothing the layer keeps, lazily or not."""
    modules = [
        pattern.removesuffix(".py") for pattern in LAYER_EXCLUDE if "." not in pattern.removesuffix(".py")
    ]
    left_out = tuple(module.replace("/", ".") for module in modules)
    importers = {
        _module_name(path, lambda_layer): sorted(
            name for name in _imported_modules(path, lambda_layer) if name.startswith(left_out)
        )
        for path in lambda_layer.rglob("*.py")
    }

    assert {module: names for module, names in importers.items() if names} == {}
    assert all(not (lambda_layer / pattern).exists() for pattern in LAYER_EXCLUDE)


def test_where_docs_are_off_the_layer_leaves_out_swagger_ui(synthesized_app: SynthesizedApp):
    (layer,) = function_assets(synthesized_app.outdir, "prod", HANDLER).layer_dirs
    folder = (layer / "python").joinpath(*SWAGGER_UI_PACKAGE.split("."))

    assert folder.is_dir()
    assert sorted(path.name for path in folder.glob("*.min.*")) == []
    assert all(not (layer / "python" / pattern).exists() for pattern in DOCS_LAYER_ASSETS)


def test_an_excluded_module_is_left_out_before_compiling(tmp_path: Path):
    DependencyLayer(
        Stack(App(outdir=str(tmp_path)), "Excluded"),
        "Layer",
        requirements_file=FIXTURES / "requirements" / "six-1.17.0.txt",
        exclude=["six.py"],
    )
    (staged,) = [asset / "python" for asset in tmp_path.glob("asset.*") if (asset / "python").is_dir()]

    assert list(staged.glob("six*")) == [staged / "six-1.17.0.dist-info"]
    assert list(staged.rglob("*.pyc")) == []


def test_an_exclude_pattern_matching_nothing_fails_synth(tmp_path: Path):
    with pytest.raises(RuntimeError, match=r"exclude pattern 'six/missing/\*' matches nothing"):
        DependencyLayer(
            Stack(App(outdir=str(tmp_path)), "Stale"),
            "Layer",
            requirements_file=FIXTURES / "requirements" / "six-1.17.0.txt",
            exclude=["six/missing/*"],
        )
