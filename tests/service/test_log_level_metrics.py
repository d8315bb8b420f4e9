"""The rollback alarms' metrics survive Lambda's log-level filter at every level an environment may have.

Powertools writes metrics as embedded-metric-format lines without a ``level`` field; Lambda's
application log filter gives such lines the level INFO ("Log-level filtering", Lambda developer guide),
so a function filtering above INFO sends no metric to CloudWatch, and the UnhandledErrors alarm never
trips. The emulator filters the function's output as Lambda documents, so the stage is served here with
the fault-injection handler (``fixtures/fault_function``: DynamoDB answers ``AccessDeniedException``, an
error the service does not expect) and the function's log level replaced:

- at the strictest level an environment's configuration accepts, an unexpected 500 still emits
  UnhandledErrors;
- at WARN, a level the configuration refuses, the emulator drops that metric and keeps the error's log
  line, as Lambda would.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from runtime.contract import METRIC_CLIENT_ERRORS, METRIC_SERVER_ERRORS, METRIC_UNHANDLED_ERRORS
from serverless_fastapi_cdk.api_function import LogLevel
from serverless_fastapi_cdk.toolkit.local_api.model import LocalApp
from tests.service.clients import Caller
from tests.service.conftest import FaultPlan, dynamodb_error, fault_code_dir
from tests.support.local_api import RunningApi, running_api

ITEM_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
LAMBDA_NAMES = {"WARNING": "WARN", "CRITICAL": "FATAL"}
"""Lambda's names for the Python levels it calls differently (``ApplicationLogLevel``)."""
STRICTEST_ALLOWED = list(LogLevel)[-1].value


@dataclasses.dataclass
class LeveledApi:
    api: RunningApi
    plan: FaultPlan


@pytest.fixture
def api_at_level(
    request: pytest.FixtureRequest, dev_assembly_dir: Path, tmp_path: Path
) -> Iterator[LeveledApi]:
    """The dev stage, its function behind fault injection and filtering its logs at ``request.param``."""
    level: str = request.param
    plan = FaultPlan(tmp_path / "plan.json")
    plan.clear()
    (tmp_path / "code").mkdir()

    def at_level(app: LocalApp) -> LocalApp:
        (function,) = app.functions()
        leveled = dataclasses.replace(
            function,
            code_dir=fault_code_dir(function.code_dir, tmp_path / "code"),
            handler="fault_injection.handler",
            environment={
                **function.environment,
                "FAULT_PLAN_FILE": str(plan.path),
                "POWERTOOLS_LOG_LEVEL": level,
            },
            application_log_level=LAMBDA_NAMES.get(level, level),
            reserved_concurrency=1,
        )
        routes = tuple(dataclasses.replace(route, function=leveled) for route in app.api.routes)
        return app.with_api(dataclasses.replace(app.api, routes=routes))

    with running_api(dev_assembly_dir, tmp_path / "state", at_level) as api:
        yield LeveledApi(api=api, plan=plan)


def _unexpected_500(leveled: LeveledApi) -> list[str]:
    """Raw lines the function's log group receives for one request that ends in an unexpected 500."""
    caller = Caller(leveled.api, f"levels-{uuid4()}")
    lines_before = len(leveled.api.function_lines())
    leveled.plan.inject(dynamodb_error("GetItem", "AccessDeniedException"))

    response = caller.request("GET", f"/items/{ITEM_ID}")

    assert response.status_code == 500, response.text
    assert response.json()["error"]["code"] == "internal_error"
    return leveled.api.function_lines()[lines_before:]


def _metrics(lines: list[str]) -> list[str]:
    """Names of the metrics in the embedded-metric-format records among ``lines``."""
    records = [json.loads(line) for line in lines if line.startswith("{") and '"_aws"' in line]
    return [
        metric["Name"]
        for record in records
        for directive in record["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    ]


@pytest.mark.parametrize("api_at_level", [STRICTEST_ALLOWED], indirect=True, ids=[STRICTEST_ALLOWED])
def test_at_the_strictest_allowed_level_an_unexpected_error_is_still_counted(
    api_at_level: LeveledApi,
) -> None:
    lines = _unexpected_500(api_at_level)

    assert sorted(_metrics(lines)) == sorted(
        [METRIC_UNHANDLED_ERRORS, METRIC_CLIENT_ERRORS, METRIC_SERVER_ERRORS]
    )


@pytest.mark.parametrize("api_at_level", ["WARNING"], indirect=True, ids=["WARN"])
def test_above_info_the_emulator_drops_level_less_metric_lines_as_lambda_does(
    api_at_level: LeveledApi,
) -> None:
    lines = _unexpected_500(api_at_level)

    assert _metrics(lines) == []
    errors = [json.loads(line) for line in lines if line.startswith("{") and '"level"' in line]
    assert [(record["level"], record["message"]) for record in errors] == [("ERROR", "Unhandled error")]
