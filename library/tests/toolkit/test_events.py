"""Payload format 2.0 in both directions, without a server: request -> event, result -> response."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest

from serverless_fastapi_cdk.toolkit.local_api.events import (
    HttpRequest,
    MalformedResponseError,
    RequestContext,
    build_event,
    is_text,
    parse_result,
)


def _request(**changes: object) -> HttpRequest:
    fields: dict[str, object] = {
        "method": "POST",
        "raw_path": "/items/a%2Fb",
        "raw_query": "",
        "headers": [("Host", "127.0.0.1:8000"), ("User-Agent", "test")],
        "body": b"",
        "source_ip": "10.1.2.3",
    }
    fields.update(changes)
    return HttpRequest(**fields)  # type: ignore[arg-type]


CONTEXT = RequestContext(
    account_id="123456789012",
    api_id="abc123defg",
    stage="$default",
    request_id="req-1=",
    route_key="ANY /{proxy+}",
    path_parameters={"proxy": "items/a%2Fb"},
    time_epoch_ms=1_700_000_000_123,
)


def test_event_carries_the_request_as_api_gateway_describes_it() -> None:
    event = build_event(_request(), CONTEXT, trace_id="Root=1-abc")
    assert event["rawPath"] == "/items/a%2Fb"
    assert event["pathParameters"] == {"proxy": "items/a/b"}
    assert event["headers"]["x-forwarded-for"] == "10.1.2.3"
    assert event["headers"]["x-forwarded-port"] == "8000"
    assert event["headers"]["x-amzn-trace-id"] == "Root=1-abc"
    context = event["requestContext"]
    assert context["domainName"] == "127.0.0.1"
    assert context["time"] == "14/Nov/2023:22:13:20 +0000"
    assert context["timeEpoch"] == 1_700_000_000_123
    assert "authorizer" not in context
    assert "queryStringParameters" not in event
    assert "cookies" not in event


def test_authorizer_claims_and_scopes_are_passed_when_present() -> None:
    context = dataclasses.replace(CONTEXT, claims={"sub": "alice"}, scopes=["read"])
    event = build_event(_request(), context, trace_id="t")
    assert event["requestContext"]["authorizer"] == {"jwt": {"claims": {"sub": "alice"}, "scopes": ["read"]}}


def test_an_existing_forwarded_for_chain_is_extended() -> None:
    request = _request(headers=[("X-Forwarded-For", "203.0.113.9")])
    assert (
        build_event(request, CONTEXT, trace_id="t")["headers"]["x-forwarded-for"] == "203.0.113.9, 10.1.2.3"
    )


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("text/csv", True),
        ("application/xml", True),
        ("application/javascript", True),
        ("application/x-www-form-urlencoded", False),
        ("application/octet-stream", False),
        ("image/png", False),
        (None, False),
    ],
)
def test_which_content_types_are_passed_as_text(content_type: str | None, text: bool) -> None:
    assert is_text(content_type) is text
    headers = [("content-type", content_type)] if content_type else []
    event = build_event(_request(headers=headers, body=b"a=1"), CONTEXT, trace_id="t")
    assert event["isBase64Encoded"] is not text
    assert event["body"] == ("a=1" if text else base64.b64encode(b"a=1").decode())


def test_text_content_that_is_not_utf8_is_base64_encoded() -> None:
    event = build_event(
        _request(headers=[("content-type", "text/plain")], body=b"\xff\xfe"), CONTEXT, trace_id="t"
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\xfe"


def test_a_structured_result_becomes_status_headers_cookies_and_body() -> None:
    response = parse_result(
        json.dumps(
            {
                "statusCode": 201,
                "headers": {"Content-Type": "application/json", "X-Count": 3, "X-Flag": True},
                "cookies": ["a=1", "b=2"],
                "body": '{"ok":true}',
            }
        )
    )
    assert response.status == 201
    assert response.headers == [
        ("content-type", "application/json"),
        ("x-count", "3"),
        ("x-flag", "true"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]
    assert response.body == b'{"ok":true}'


def test_a_base64_result_body_is_decoded() -> None:
    payload = json.dumps(
        {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    )
    assert parse_result(payload).body == b"\x00\x01"


@pytest.mark.parametrize("result", ['"Hello from Lambda!"', '{"message": "hi"}', "[1, 2]", "null", "42"])
def test_any_other_json_result_is_the_body_of_a_json_200(result: str) -> None:
    response = parse_result(result)
    assert (response.status, response.headers, response.body) == (
        200,
        [("content-type", "application/json")],
        result.encode(),
    )


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": "200"},
        {"statusCode": True},
        {"statusCode": 99},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "headers": ["x"]},
        {"statusCode": 200, "headers": {"x": {"nested": 1}}},
        {"statusCode": 200, "body": "not base64!", "isBase64Encoded": True},
    ],
)
def test_a_malformed_structured_result_is_rejected(result: dict[str, object]) -> None:
    with pytest.raises(MalformedResponseError):
        parse_result(json.dumps(result))
