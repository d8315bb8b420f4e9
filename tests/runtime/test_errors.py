"""The error envelope for identity, routing and unexpected failures; what a 500 logs and counts."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from runtime.contract import (
    METRIC_CLIENT_ERRORS,
    METRIC_SERVER_ERRORS,
    METRIC_SERVICE_DIMENSION,
    METRIC_UNHANDLED_ERRORS,
    METRIC_VERSION_DIMENSION,
    TABLE_PARTITION_KEY,
    TABLE_SORT_KEY,
)
from runtime.ids import new_item_id
from runtime.observability import logger
from tests.runtime.conftest import METRICS_NAMESPACE, SERVICE_NAME, TABLE_NAME
from tests.runtime.lambda_process import Invocation, process_environment, run_in_fresh_process
from tests.support.apigw import LambdaApi, http_api_event, invoke
from tests.support.aws_emulator import Emulator
from tests.support.observability import captured_logs, emf_blobs

ITEM_ROUTES = [
    ("POST", "/items"),
    ("GET", "/items"),
    ("GET", "/items/01ARZ3NDEKTSV4RRFFQ69G5FAV"),
    ("PUT", "/items/01ARZ3NDEKTSV4RRFFQ69G5FAV"),
    ("DELETE", "/items/01ARZ3NDEKTSV4RRFFQ69G5FAV"),
]


def test_envelope_carries_the_gateway_request_id(api: LambdaApi) -> None:
    event = http_api_event("GET", "/nowhere", request_id="Qx7gYhT9oAMEbXw=")

    response = invoke(api.handler, event)

    assert response.json() == {
        "error": {
            "code": "route_not_found",
            "message": "No route matches this path.",
            "request_id": "Qx7gYhT9oAMEbXw=",
        }
    }


@pytest.mark.parametrize(("method", "path"), ITEM_ROUTES)
def test_item_routes_without_claims_are_401(api: LambdaApi, method: str, path: str) -> None:
    response = api.request(method, path, body={"name": "x"}, headers={"if-match": "*"})

    assert response.status == 401
    assert response.error_code == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [('{"name": ', "application/json"), ("name=x", "text/plain"), ('{"name": ""}', "application/json")],
)
def test_without_claims_the_401_comes_before_any_look_at_the_body(
    api: LambdaApi, body: str, content_type: str
) -> None:
    response = api.post("/items", body=body, headers={"content-type": content_type})

    assert response.status == 401


@pytest.mark.parametrize(
    "claims", [{"scope": "openid"}, {"sub": ""}, {"sub": "   "}, {"sub": "s" * 257}], ids=str
)
def test_claims_without_a_usable_sub_are_401(api: LambdaApi, claims: dict[str, str]) -> None:
    response = invoke(api.handler, http_api_event("GET", "/items", claims=claims))

    assert response.status == 401


def test_a_sub_is_enough_and_other_claims_do_not_matter(api: LambdaApi) -> None:
    claims = {"sub": f"minimal-{uuid.uuid4()}"}

    response = invoke(api.handler, http_api_event("GET", "/items", claims=claims))

    assert response.status == 200


COGNITO_ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
CLIENT_ID = "4example7client2id9"


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": COGNITO_ISSUER, "aud": CLIENT_ID, "token_use": "id", "email": "a@example.com"},
        {"iss": COGNITO_ISSUER, "client_id": CLIENT_ID},
        {"iss": "https://login.example.com/", "aud": "items-api", "token_use": "id"},
    ],
    ids=["cognito-id-token", "cognito-without-token-use", "other-issuer-id-token"],
)
def test_tokens_that_are_not_access_tokens_are_401(api: LambdaApi, claims: dict[str, str]) -> None:
    """The JWT authorizer passes a Cognito ID token (its ``aud`` is the client id); the service refuses it."""
    event = http_api_event("GET", "/items", claims={"sub": f"id-{uuid.uuid4()}", **claims})

    response = invoke(api.handler, event)

    assert response.status == 401
    assert response.error_code == "unauthorized"


def test_unknown_route_is_404(alice: LambdaApi) -> None:
    response = alice.get("/items/01ARZ3NDEKTSV4RRFFQ69G5FAV/children")

    assert response.status == 404
    assert response.error_code == "route_not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/items/"),
        ("POST", "/items/"),
        ("GET", "/items/01ARZ3NDEKTSV4RRFFQ69G5FAV/"),
        ("GET", "/health/"),
        ("GET", "/docs/"),
        ("GET", "/openapi.json/"),
    ],
)
def test_a_trailing_slash_is_an_unknown_route_not_a_redirect(
    alice: LambdaApi, method: str, path: str
) -> None:
    event = http_api_event(method, path, sub=alice.sub, body={"name": "x"} if method == "POST" else None)

    response = invoke(alice.handler, event)

    assert response.status == 404
    assert "location" not in response.headers
    assert response.json() == {
        "error": {
            "code": "route_not_found",
            "message": "No route matches this path.",
            "request_id": event["requestContext"]["requestId"],
        }
    }


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("PATCH", "/items", "GET, POST"), ("POST", "/items/01ARZ3NDEKTSV4RRFFQ69G5FAV", "DELETE, GET, PUT")],
)
def test_unsupported_method_is_405_with_allow(alice: LambdaApi, method: str, path: str, allowed: str) -> None:
    response = alice.request(method, path, body={"name": "x"})

    assert response.status == 405
    assert response.error_code == "method_not_allowed"
    assert sorted(response.headers["allow"].split(", ")) == allowed.split(", ")


@pytest.fixture
def corrupt_item(aws_emulator: Emulator, alice: LambdaApi) -> str:
    """An item of alice's that the service cannot read: its ``name`` attribute is missing."""
    item_id = new_item_id()
    assert alice.sub is not None
    aws_emulator.dynamodb().put_item(
        TableName=TABLE_NAME,
        Item={
            TABLE_PARTITION_KEY: {"S": f"USER#{alice.sub}"},
            TABLE_SORT_KEY: {"S": f"ITEM#{item_id}"},
            "id": {"S": item_id},
            "version": {"N": "1"},
        },
    )
    return item_id


def test_an_unexpected_failure_is_a_bare_500_logged_with_its_traceback_and_counted_once(
    api: LambdaApi, alice: LambdaApi, corrupt_item: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    event = http_api_event("GET", f"/items/{corrupt_item}", sub=alice.sub)

    with captured_logs(logger) as logs:
        response = invoke(api.handler, event)

    request_id = event["requestContext"]["requestId"]
    assert response.status == 500
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": "An unexpected error occurred; it has been logged.",
            "request_id": request_id,
        }
    }
    for leak in (b"KeyError", b"Traceback", b"name", b"repository", b"USER#"):
        assert leak not in response.body

    [error_log] = [record for record in logs.records() if record["level"] == "ERROR"]
    assert error_log["message"] == "Unhandled error"
    assert error_log["correlation_id"] == request_id
    assert error_log["exception_name"] == "KeyError"
    assert "Traceback" in error_log["exception"]
    assert error_log["path"] == f"/items/{corrupt_item}"
    assert (error_log["service"], error_log["function_name"]) == (SERVICE_NAME, "items-service")

    [blob] = emf_blobs(capsys.readouterr().out)
    [directive] = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == METRICS_NAMESPACE
    assert directive["Dimensions"] == [
        [METRIC_SERVICE_DIMENSION],
        [METRIC_SERVICE_DIMENSION, METRIC_VERSION_DIMENSION],
    ]
    assert directive["Metrics"] == [
        {"Name": METRIC_UNHANDLED_ERRORS, "Unit": "Count"},
        {"Name": METRIC_CLIENT_ERRORS, "Unit": "Count"},
        {"Name": METRIC_SERVER_ERRORS, "Unit": "Count"},
    ]
    assert blob[METRIC_SERVICE_DIMENSION] == SERVICE_NAME
    assert blob[METRIC_VERSION_DIMENSION] == os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
    assert blob[METRIC_UNHANDLED_ERRORS] == [1.0]
    assert (blob[METRIC_CLIENT_ERRORS], blob[METRIC_SERVER_ERRORS]) == ([0.0], [1.0])


def test_the_cold_start_flag_is_true_on_the_first_invocation_of_a_process_only(
    tmp_path: Path, closed_port: int
) -> None:
    """Each request meets an unreachable DynamoDB, so each logs a warning (with the flag) in a new process."""
    sub = f"cold-{uuid.uuid4()}"

    run = run_in_fresh_process(
        [Invocation(http_api_event("GET", "/items", sub=sub)) for _ in range(2)],
        environ=process_environment(
            POWERTOOLS_TRACE_DISABLED="true", AWS_ENDPOINT_URL=f"http://127.0.0.1:{closed_port}"
        ),
        scratch=tmp_path,
    )

    assert [response.status for response in run.responses] == [503, 503]
    warnings = [record for record in run.log_records() if record["level"] == "WARNING"]
    assert [(record["message"], record["cold_start"]) for record in warnings] == [
        ("DynamoDB unavailable", True),
        ("DynamoDB unavailable", False),
    ]


def test_a_listing_that_meets_a_corrupt_item_fails_the_same_way(
    alice: LambdaApi, corrupt_item: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()

    response = alice.get("/items")

    assert response.status == 500
    assert response.error_code == "internal_error"
    [blob] = emf_blobs(capsys.readouterr().out)
    assert blob[METRIC_UNHANDLED_ERRORS] == [1.0]
