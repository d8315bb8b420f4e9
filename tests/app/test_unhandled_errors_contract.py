"""The UnhandledErrors rollback alarm watches exactly the metric the runtime emits.

The runtime is driven through its real Lambda handler with an API Gateway payload 2.0 event, against the
emulator; the one stub is an injected fault (DynamoDB answering ``AccessDeniedException``, what a version
missing a permission would meet), which the runtime does not expect and answers with a 500. The EMF record
Powertools prints for that invocation is then compared with the metric the alarm is built from. Together
with the per-environment test that the alarm's namespace and ``service`` are the function's Powertools
variables, a rename on either side fails here.
"""

from __future__ import annotations

import dataclasses
import os
from types import ModuleType
from typing import Any

import pytest
from aws_cdk import aws_cloudwatch as cloudwatch

from cdk_app import service
from runtime import contract
from tests.support.apigw import LambdaApi
from tests.support.aws_emulator import Emulator
from tests.support.faults import aws_error
from tests.support.observability import emf_blobs

ITEM_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


@pytest.fixture
def unhandled_error_emf(
    runtime_handler: ModuleType, runtime_backend: Emulator, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    """The EMF record of one request that ended in an unexpected 500."""
    from runtime import aws

    api = LambdaApi(runtime_handler.handler).as_user("canary-contract")
    capsys.readouterr()
    with aws_error(aws.dynamodb(), "GetItem", code="AccessDeniedException", status=400) as fault:
        response = api.get(f"/items/{ITEM_ID}")
    assert fault.calls == 1
    assert response.status == 500
    blobs = [b for b in emf_blobs(capsys.readouterr().out) if contract.METRIC_UNHANDLED_ERRORS in b]
    assert len(blobs) == 1, "the runtime must emit UnhandledErrors once per unexpected 500"
    return blobs[0]


def test_alarm_metric_is_the_emitted_metric(unhandled_error_emf: dict[str, Any]):
    """The rollback alarm's metric (by service and version) and the stage-wide one are both published."""
    (directive,) = unhandled_error_emf["_aws"]["CloudWatchMetrics"]
    emitted_sets = [sorted(dimension_set) for dimension_set in directive["Dimensions"]]
    for version in (os.environ["AWS_LAMBDA_FUNCTION_VERSION"], None):
        metrics = dataclasses.replace(
            service.METRICS,
            namespace=os.environ["POWERTOOLS_METRICS_NAMESPACE"],
            service_name=os.environ["POWERTOOLS_SERVICE_NAME"],
        )
        alarm_metric = metrics.metric(
            metrics.unhandled_errors, statistic=cloudwatch.Stats.SUM, function_version=version
        )
        assert directive["Namespace"] == alarm_metric.namespace
        assert alarm_metric.metric_name in {m["Name"] for m in directive["Metrics"]}
        assert sorted(alarm_metric.dimensions or {}) in emitted_sets
        for dimension, value in (alarm_metric.dimensions or {}).items():
            assert unhandled_error_emf[dimension] == value


def test_emitted_metric_counts_each_unexpected_error_once(unhandled_error_emf: dict[str, Any]):
    (directive,) = unhandled_error_emf["_aws"]["CloudWatchMetrics"]
    (definition,) = [m for m in directive["Metrics"] if m["Name"] == contract.METRIC_UNHANDLED_ERRORS]
    assert definition["Unit"] == "Count"
    assert unhandled_error_emf[contract.METRIC_UNHANDLED_ERRORS] == [1.0]
    assert directive["Dimensions"] == [
        [contract.METRIC_SERVICE_DIMENSION],
        [contract.METRIC_SERVICE_DIMENSION, contract.METRIC_VERSION_DIMENSION],
    ]


@pytest.mark.parametrize(
    ("path", "status", "client_error", "server_error"),
    [("/health", 200, 0.0, 0.0), (f"/items/{ITEM_ID}", 404, 1.0, 0.0), ("/items/x", 404, 1.0, 0.0)],
)
def test_every_response_is_one_datum_of_the_error_rate_metrics(
    runtime_handler: ModuleType,
    runtime_backend: Emulator,
    capsys: pytest.CaptureFixture[str],
    path: str,
    status: int,
    client_error: float,
    server_error: float,
):
    """The rate alarms divide the Sum of these 0/1 data by their SampleCount: one datum per response."""
    from runtime.settings import get_settings
    from tests.support.aws_emulator import create_items_table, create_unless_present

    create_unless_present(create_items_table, runtime_backend.dynamodb(), get_settings().table_name)
    api = LambdaApi(runtime_handler.handler).as_user("canary-contract")
    capsys.readouterr()
    assert api.get(path).status == status
    (blob,) = emf_blobs(capsys.readouterr().out)
    assert blob[contract.METRIC_CLIENT_ERRORS] == [client_error]
    assert blob[contract.METRIC_SERVER_ERRORS] == [server_error]
    assert blob[contract.METRIC_VERSION_DIMENSION] == os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
