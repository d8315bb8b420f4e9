"""Execution environments as Lambda runs them, and the HTTP API's answers when a function misbehaves.

Most tests use the probe function (tests/tools/local_api/fixtures/probe_function) in place of the service's
code, served behind the dev stage's real routes and authorizer; the missing-dependency test serves the
real code asset with a layer that lacks one package, and the cold-start test starts an emulator of its
own.
"""

from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.emulated_stage import (
    MISSING_PACKAGE,
    PROBE_DIR,
    PROBE_TIMEOUT_SECONDS,
    SHORT_INTEGRATION_TIMEOUT_SECONDS,
    RunningApi,
    with_probe_function,
)
from tests.support.local_api import running_api

INTERNAL_SERVER_ERROR = {"message": "Internal Server Error"}


def _whoami(api: RunningApi, user: str = "ivan") -> dict[str, Any]:
    response = api.client.get("/probe/whoami", headers=api.auth(user))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _sleep(api: RunningApi, seconds: float, headers: dict[str, str], prefix: str = "") -> httpx.Response:
    with httpx.Client(base_url=api.emulator.url, timeout=30) as client:
        return client.get(f"{prefix}/probe/sleep", params={"seconds": seconds}, headers=headers)


def test_the_module_path_is_the_code_then_the_layer_then_the_standard_library_only(
    probe_api: RunningApi,
) -> None:
    probe = _whoami(probe_api)
    (layer,) = probe_api.emulator.app.functions()[0].layer_dirs
    assert probe["sys_path"][:3] == [
        str(PROBE_DIR),
        f"{layer}/python/lib/python3.13/site-packages",
        f"{layer}/python",
    ]
    project = str(Path(__file__).resolve().parents[3])
    assert not [entry for entry in probe["sys_path"][3:] if "site-packages" in entry or project in entry]
    assert probe["cwd"] == str(PROBE_DIR)


def test_the_process_environment_is_lambdas_not_the_developers(probe_api: RunningApi) -> None:
    probe = _whoami(probe_api)
    environ = probe["environ"]
    function = probe_api.emulator.app.functions()[0]
    assert environ["AWS_LAMBDA_FUNCTION_NAME"] == function.name
    assert environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert environ["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.13"
    assert environ["TABLE_NAME"] == probe_api.emulator.app.tables[0].name
    assert environ["CURSOR_SECRET_NAME"].startswith("arn:aws:secretsmanager:")
    assert environ["AWS_ENDPOINT_URL"] == probe_api.emulator.aws.endpoint_url
    trace_root = probe["event"]["headers"]["x-amzn-trace-id"]
    assert trace_root.startswith("Root=1-")
    assert environ["_X_AMZN_TRACE_ID"].startswith(f"{trace_root};Parent=")
    assert environ["_X_AMZN_TRACE_ID"].endswith(";Sampled=1")
    leaked = {"HOME", "VIRTUAL_ENV", "PYTEST_CURRENT_TEST", "JSII_NODE"} & set(environ)
    assert not leaked
    assert set(os.environ) - set(environ)


def test_the_context_object_carries_lambdas_attributes(probe_api: RunningApi) -> None:
    context = _whoami(probe_api)["context"]
    function = probe_api.emulator.app.functions()[0]
    assert context["function_name"] == function.name
    assert context["function_version"] == "1"
    assert context["memory_limit_in_mb"] == "512"
    assert context["invoked_function_arn"].endswith(f":function:{function.name}:live")
    assert 0 < context["remaining_ms"] <= PROBE_TIMEOUT_SECONDS * 1000
    assert len(context["aws_request_id"]) == 36


def test_the_event_is_payload_format_2_0(probe_api: RunningApi) -> None:
    before_ms = time.time_ns() // 1_000_000
    response = probe_api.client.get(
        "/probe/whoami/a%20b",
        params=[("tag", "x"), ("tag", "y"), ("q", "1 2")],
        headers=[
            ("Authorization", f"Bearer {probe_api.token('judy')}"),
            ("X-Custom", "one"),
            ("x-custom", "two"),
            ("Cookie", "a=1; b=2"),
            ("User-Agent", "probe-test"),
        ],
    )
    after_ms = time.time_ns() // 1_000_000
    event = response.json()["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /{proxy+}"
    assert event["rawPath"] == "/probe/whoami/a%20b"
    assert event["rawQueryString"] == "tag=x&tag=y&q=1+2"
    assert event["queryStringParameters"] == {"tag": "x,y", "q": "1 2"}
    assert event["pathParameters"] == {"proxy": "probe/whoami/a b"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["x-custom"] == "one,two"
    assert "cookie" not in event["headers"]
    assert all(name == name.lower() for name in event["headers"])
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/probe/whoami/a%20b",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "probe-test",
    }
    assert context["stage"] == "$default"
    assert context["routeKey"] == "GET /{proxy+}"
    assert context["requestId"] == response.headers["apigw-requestid"]
    assert context["apiId"] == probe_api.emulator.app.api.api_id
    assert context["accountId"] == "123456789012"
    assert before_ms <= context["timeEpoch"] <= after_ms
    assert context["time"] == time.strftime(
        "%d/%b/%Y:%H:%M:%S +0000", time.gmtime(context["timeEpoch"] / 1000)
    )


def _report_line(api: RunningApi, request_id: str) -> str:
    (line,) = (line for line in api.console().splitlines() if f"REPORT RequestId: {request_id}\t" in line)
    return line


def test_the_first_invocation_starts_cold_and_the_next_reuses_the_environment_warm(
    dev_assembly_dir: Path, tmp_path: Path
) -> None:
    """A fresh emulator, so that no earlier test has started an environment already."""
    with running_api(dev_assembly_dir, tmp_path, with_probe_function) as api:
        first, second = _whoami(api), _whoami(api)

        cold = _report_line(api, first["context"]["aws_request_id"])
        warm = _report_line(api, second["context"]["aws_request_id"])
    assert first["pid"] == second["pid"]
    assert first["log_stream"] == second["log_stream"]
    assert re.search(r"\tInit Duration: \d+\.\d\d ms", cold), cold
    assert "Init Duration" not in warm, warm
    assert api.console().count("Init Duration") == 1


def test_parallel_requests_run_in_separate_environments(probe_api: RunningApi) -> None:
    headers = probe_api.auth("kate")
    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(lambda _: _sleep(probe_api, 1.5, headers), range(2)))
    assert [response.status_code for response in responses] == [200, 200]
    pids = {response.json()["pid"] for response in responses}
    streams = {response.json()["log_stream"] for response in responses}
    assert len(pids) == 2
    assert len(streams) == 2


def test_log_lines_reach_the_console_while_the_invocation_runs(probe_api: RunningApi) -> None:
    headers = probe_api.auth("lena")
    offset = len(probe_api.console())
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(_sleep, probe_api, 2, headers)
        deadline = time.monotonic() + 1.5
        while "sleeps 2 s" not in probe_api.console()[offset:] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "sleeps 2 s" in probe_api.console()[offset:]
        assert not pending.done()
        assert pending.result().status_code == 200


def test_no_more_environments_than_the_reserved_concurrency(probe_api: RunningApi) -> None:
    limit = probe_api.emulator.app.functions()[0].reserved_concurrency
    assert limit == 5
    headers = probe_api.auth("leo")
    with ThreadPoolExecutor(max_workers=limit + 1) as pool:
        responses = list(pool.map(lambda _: _sleep(probe_api, 1.5, headers), range(limit + 1)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * limit + [500]
    (throttled,) = (response for response in responses if response.status_code == 500)
    assert throttled.json() == INTERNAL_SERVER_ERROR
    assert len({response.json()["pid"] for response in responses if response.status_code == 200}) == limit


def test_a_function_timeout_kills_the_environment_and_answers_500(probe_api: RunningApi) -> None:
    headers = probe_api.auth("mike")
    before = _whoami(probe_api)["pid"]
    response = _sleep(probe_api, 20, headers)
    assert response.status_code == 500
    assert response.json() == INTERNAL_SERVER_ERROR
    assert f"Task timed out after {PROBE_TIMEOUT_SECONDS:.2f} seconds" in probe_api.console()
    assert "Status: timeout" in probe_api.console()
    with pytest.raises(ProcessLookupError):
        os.kill(before, 0)
    assert _whoami(probe_api)["pid"] != before


def test_an_integration_timeout_shorter_than_the_function_answers_503(probe_api: RunningApi) -> None:
    """The function would answer 200 after its sleep, well inside its own timeout: a 503 can only come
    from the gateway giving up first, while the invocation still runs."""
    assert SHORT_INTEGRATION_TIMEOUT_SECONDS < 2 < PROBE_TIMEOUT_SECONDS
    offset = len(probe_api.console())
    response = _sleep(probe_api, 2, probe_api.auth("nina"), prefix="/short")
    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable"}
    assert "sleeps 2 s" in probe_api.console()[offset:]


def test_binary_bodies_travel_base64_both_ways(probe_api: RunningApi) -> None:
    payload = bytes(range(256)) * 4
    response = probe_api.client.post(
        "/probe/echo",
        content=payload,
        headers={**probe_api.auth("olga"), "content-type": "application/octet-stream"},
    )
    assert response.status_code == 200
    assert response.content == payload
    assert response.headers["x-request-was-base64"] == "true"
    assert response.headers["content-type"] == "application/octet-stream"

    text = probe_api.client.post(
        "/probe/echo",
        content="héllo".encode(),
        headers={**probe_api.auth("olga"), "content-type": "text/plain"},
    )
    assert text.content == "héllo".encode()
    assert text.headers["x-request-was-base64"] == "false"


def test_cookies_arrive_as_a_list_and_leave_as_set_cookie_headers(probe_api: RunningApi) -> None:
    response = probe_api.client.get(
        "/probe/cookies", headers={**probe_api.auth("pat"), "cookie": "a=1; b=two words"}
    )
    assert response.status_code == 200
    assert response.json()["received"] == ["a=1", "b=two words"]
    assert "cookie" not in response.json()["headers"]
    assert response.headers.get_list("set-cookie") == [
        "session=abc; Path=/; HttpOnly",
        "theme=dark; Max-Age=60",
    ]


def test_a_result_without_status_code_is_the_json_body_of_a_200(probe_api: RunningApi) -> None:
    response = probe_api.client.get("/probe/raw", headers=probe_api.auth("quinn"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == ["not", "a", "response", 1]


def test_an_unhandled_exception_answers_500_and_is_logged(probe_api: RunningApi) -> None:
    response = probe_api.client.get("/probe/fail", headers=probe_api.auth("rita"))
    assert response.status_code == 500
    assert response.json() == INTERNAL_SERVER_ERROR
    assert "the probe was asked to fail" in probe_api.console()
    assert "ValueError" in probe_api.console()


def test_a_malformed_response_answers_500(probe_api: RunningApi) -> None:
    response = probe_api.client.get("/probe/malformed", headers=probe_api.auth("sam"))
    assert response.status_code == 500
    assert response.json() == INTERNAL_SERVER_ERROR


def test_a_dependency_missing_from_the_layer_fails_every_cold_start_like_lambda(
    broken_layer_api: RunningApi,
) -> None:
    for _ in range(2):
        response = broken_layer_api.client.get("/health")
        assert response.status_code == 500
        assert response.json() == INTERNAL_SERVER_ERROR
    console = broken_layer_api.console()
    assert console.count("Runtime.ImportModuleError") >= 2
    assert f"Unable to import module 'runtime.handler': No module named '{MISSING_PACKAGE}'" in console
    assert "INIT_REPORT" in console
