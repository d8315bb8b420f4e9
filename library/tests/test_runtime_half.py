"""The runtime half: the names, health shape and caller identity a service imports, and the check that a
built function emits what its alarms watch (run on a real, tiny function asset)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from serverless_fastapi_cdk import runtime
from serverless_fastapi_cdk.bundling import copy_runtime_half
from serverless_fastapi_cdk.canary_props import ApplicationMetrics
from serverless_fastapi_cdk.contract_check import check_function, health_event

HANDLER = """
import json, os
from serverless_fastapi_cdk.runtime import metric_dimensions, metric_names, response_metrics, health_body

def handler(event, context):
    names = metric_names()
    service = os.environ["POWERTOOLS_SERVICE_NAME"]
    data = response_metrics(200, names)
    for dimensions in metric_dimensions(service, os.environ["AWS_LAMBDA_FUNCTION_VERSION"], names):
        print(json.dumps({
            "_aws": {"Timestamp": 0, "CloudWatchMetrics": [{
                "Namespace": os.environ["POWERTOOLS_METRICS_NAMESPACE"],
                "Dimensions": [sorted(dimensions)],
                "Metrics": [{"Name": name, "Unit": "Count"} for name in data],
            }]},
            **dimensions, **data,
        }))
    body = health_body(function_version=os.environ["AWS_LAMBDA_FUNCTION_VERSION"])
    return {"statusCode": 200, "body": json.dumps(body)}
"""


@pytest.fixture
def asset(tmp_path: Path) -> Path:
    """A code asset as ApiFunction builds it: the service's package and the runtime half beside it."""
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "app.py").write_text(textwrap.dedent(HANDLER))
    copy_runtime_half(tmp_path)
    return tmp_path


def check(asset: Path, metrics: ApplicationMetrics, environment: dict[str, str]) -> list[str]:
    return check_function(
        code_dir=asset,
        layer_dirs=(),
        handler="svc.app.handler",
        environment={
            "POWERTOOLS_METRICS_NAMESPACE": "Orders",
            "POWERTOOLS_SERVICE_NAME": "orders",
            **environment,
        },
        health_path="/health",
        namespace=metrics.namespace,
        service=metrics.service_name,
        names=metrics.names(),
    )


def test_a_function_using_the_runtime_half_emits_what_the_alarms_watch(asset: Path):
    assert check(asset, ApplicationMetrics(namespace="Orders", service_name="orders"), {}) == []


def test_renamed_metrics_reach_the_function_through_its_environment(asset: Path):
    metrics = ApplicationMetrics(namespace="Orders", service_name="orders", server_errors="Http5xx")
    encoded = metrics.names().encode()

    assert check(asset, metrics, {runtime.ENV_NAMES: encoded}) == []
    assert runtime.metric_names({runtime.ENV_NAMES: encoded}).server_errors == "Http5xx"


def test_alarms_on_names_the_function_never_emits_are_reported(asset: Path):
    metrics = ApplicationMetrics(namespace="Orders", service_name="orders", server_errors="Http5xx")

    problems = check(asset, metrics, {})

    assert problems == [
        "Http5xx in namespace 'Orders' with dimensions ['service']: not emitted",
        "Http5xx in namespace 'Orders' with dimensions ['function_version', 'service']: not emitted",
    ]


def test_the_default_names_need_no_environment_variable():
    assert ApplicationMetrics(namespace="Orders", service_name="orders").names().encode() == ""


def test_the_callers_sub_is_read_from_the_authorizers_claims():
    event = health_event("/orders")
    assert runtime.caller_sub(event) is None
    event["requestContext"]["authorizer"] = {"jwt": {"claims": {"sub": "user-1"}, "scopes": None}}

    assert runtime.caller_sub(event) == "user-1"
    assert runtime.caller_sub({"requestContext": {"authorizer": {"jwt": {"claims": {"sub": " "}}}}}) is None


def test_the_health_body_names_the_version_the_hooks_compare():
    body = runtime.health_body(function_version="3", app_version="1.2.0")

    assert json.loads(json.dumps(body)) == {"status": "ok", "function_version": "3", "app_version": "1.2.0"}
    assert runtime.HEALTH_VERSION_FIELD in body
