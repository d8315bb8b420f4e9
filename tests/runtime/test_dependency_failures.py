"""503 with Retry-After when DynamoDB or Secrets Manager throttles or cannot be reached; 500 otherwise.

Throttling is injected with botocore's event hooks (tests.support.faults), the one stub of the
suite; unreachable endpoints are real: the runtime is pointed at a closed loopback port.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from runtime import aws
from runtime.contract import METRIC_UNHANDLED_ERRORS
from runtime.observability import logger
from tests.runtime.conftest import CURSOR_SECRET_NAME
from tests.support.apigw import HttpResponse, LambdaApi, http_api_event, invoke
from tests.support.aws_calls import recorded_responses
from tests.support.faults import aws_error
from tests.support.observability import LogCapture, captured_logs, emf_blobs

THROTTLING_CODES = ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]


def assert_unavailable(response: HttpResponse) -> None:
    assert response.status == 503
    assert response.error_code == "service_unavailable"
    assert response.headers["retry-after"] == "1"


@pytest.mark.parametrize("code", THROTTLING_CODES)
def test_a_throttled_read_is_503(alice: LambdaApi, code: str) -> None:
    with aws_error(aws.dynamodb(), "Query", code=code):
        response = alice.get("/items")

    assert_unavailable(response)


def test_a_dynamodb_server_error_is_503(alice: LambdaApi) -> None:
    with aws_error(aws.dynamodb(), "GetItem", code="InternalServerError", status=500):
        response = alice.get("/items/01ARZ3NDEKTSV4RRFFQ69G5FAV")

    assert_unavailable(response)


def test_a_throttled_write_is_503_and_writes_nothing(alice: LambdaApi) -> None:
    with aws_error(aws.dynamodb(), "PutItem", code="ProvisionedThroughputExceededException"):
        response = alice.post("/items", body={"name": "x"})

    assert_unavailable(response)
    assert alice.get("/items").json()["items"] == []


def test_a_throttled_update_is_503_and_changes_nothing(alice: LambdaApi) -> None:
    path = alice.post("/items", body={"name": "before"}).headers["location"]

    with aws_error(aws.dynamodb(), "UpdateItem", code="ThrottlingException"):
        response = alice.put(path, body={"name": "after"}, headers={"if-match": '"1"'})

    assert response.status == 503
    assert alice.get(path).json()["name"] == "before"


def test_the_503_is_logged_as_a_warning_with_the_request_id(api: LambdaApi, alice: LambdaApi) -> None:
    event = http_api_event("GET", "/items", sub=alice.sub)

    with captured_logs(logger) as logs, aws_error(aws.dynamodb(), "Query", code="ThrottlingException"):
        invoke(api.handler, event)

    [warning] = [record for record in logs.records() if record["level"] == "WARNING"]
    assert warning["dependency"] == "dynamodb"
    assert warning["correlation_id"] == event["requestContext"]["requestId"]


def test_a_throttle_that_clears_within_the_retries_is_invisible(
    alice: LambdaApi, fresh_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    aws.reset()

    with aws_error(aws.dynamodb(), "Query", code="ThrottlingException", times=1) as fault:
        response = alice.get("/items")

    assert response.status == 200
    assert fault.calls == 1


def test_unreachable_dynamodb_is_503(
    alice: LambdaApi, fresh_aws: None, monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port}")
    aws.reset()

    response = alice.post("/items", body={"name": "x"})

    assert_unavailable(response)


def test_unreachable_secrets_manager_is_503(
    alice: LambdaApi, fresh_aws: None, monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    for index in range(2):
        alice.post("/items", body={"name": f"{index}"})
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", f"http://127.0.0.1:{closed_port}")
    aws.reset()

    response = alice.get("/items", query={"limit": "1"})

    assert_unavailable(response)


def test_throttled_secrets_manager_is_503_only_when_a_cursor_is_involved(
    alice: LambdaApi, fresh_aws: None
) -> None:
    alice.post("/items", body={"name": "only one"})
    secrets = aws.secrets_provider().client

    with aws_error(secrets, "GetSecretValue", code="ThrottlingException") as fault:
        single_page = alice.get("/items")
        needs_cursor = alice.get("/items", query={"cursor": "v1.AAAA.AAAA"})

    assert single_page.status == 200
    assert_unavailable(needs_cursor)
    assert fault.calls == 1


def test_a_secrets_manager_server_error_is_503(alice: LambdaApi, fresh_aws: None) -> None:
    with aws_error(aws.secrets_provider().client, "GetSecretValue", code="InternalServiceError", status=500):
        response = alice.get("/items", query={"cursor": "v1.AAAA.AAAA"})

    assert_unavailable(response)


def assert_unexpected_error(
    response: HttpResponse, logs: LogCapture, capsys: pytest.CaptureFixture[str], exception: str
) -> None:
    """A bare 500, an error log with the traceback, and one UnhandledErrors metric."""
    assert response.status == 500
    assert response.error_code == "internal_error"
    assert "retry-after" not in response.headers
    [error_log] = [record for record in logs.records() if record["level"] == "ERROR"]
    assert error_log["message"] == "Unhandled error"
    assert error_log["exception_name"] == "GetParameterError"
    assert exception in error_log["exception"]
    assert "Traceback" in error_log["exception"]
    [blob] = emf_blobs(capsys.readouterr().out)
    assert blob[METRIC_UNHANDLED_ERRORS] == [1.0]


@pytest.fixture
def secret_name_without_secret() -> Iterator[None]:
    """The handler's app pointed at a secret name that the emulator does not have."""
    from runtime.handler import app

    settings = app.state.settings
    app.state.settings = replace(settings, cursor_secret_name=f"{CURSOR_SECRET_NAME}-deleted")
    yield
    app.state.settings = settings


def test_a_missing_secret_is_a_deployment_fault_answered_500_and_counted(
    alice: LambdaApi, fresh_aws: None, secret_name_without_secret: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Secrets Manager (the emulator, for real) answers ResourceNotFoundException."""
    capsys.readouterr()

    with captured_logs(logger) as logs:
        response = alice.get("/items", query={"cursor": "v1.AAAA.AAAA"})

    assert_unexpected_error(response, logs, capsys, "ResourceNotFoundException")


def test_access_denied_to_the_secret_is_answered_500_and_counted(
    alice: LambdaApi, fresh_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()

    with (
        captured_logs(logger) as logs,
        aws_error(aws.secrets_provider().client, "GetSecretValue", code="AccessDeniedException"),
    ):
        response = alice.get("/items", query={"cursor": "v1.AAAA.AAAA"})

    assert_unexpected_error(response, logs, capsys, "AccessDeniedException")


def test_the_secret_is_fetched_once_and_cached(alice: LambdaApi, fresh_aws: None) -> None:
    for index in range(3):
        alice.post("/items", body={"name": f"{index}"})
    secrets = aws.secrets_provider().client

    with recorded_responses(secrets, "GetSecretValue") as fetches:
        cursor = alice.get("/items", query={"limit": "1"}).json()["next_cursor"]
        alice.get("/items", query={"limit": "1", "cursor": cursor})

    assert len(fetches) == 1
    assert fetches[0]["Name"] == CURSOR_SECRET_NAME
