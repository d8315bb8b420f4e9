"""HTTP clients of the emulated API: signed-in users, and retries of what the platform throttled.

The hardened API runs at most 32 execution environments; a burst larger than that has its excess
throttled by Lambda before it reaches the function, which API Gateway answers with its own 500. Only
those requests are retried (the access log says ``integrationStatus`` 429, so the function never saw
them); every other answer, a 500 of the service included, is final.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import httpx

from tests.support.local_api import RunningApi

GATEWAY_ERROR = {"message": "Internal Server Error"}
ACCESS_LOG_WAIT_SECONDS = 5.0


def throttled_by_lambda(api: RunningApi, response: httpx.Response) -> bool:
    """True when API Gateway answered because Lambda throttled the invocation (access log 429)."""
    if response.status_code != 500 or response.headers.get("content-type") != "application/json":
        return False
    if response.json() != GATEWAY_ERROR:
        return False
    request_id = response.headers["apigw-requestid"]
    deadline = time.monotonic() + ACCESS_LOG_WAIT_SECONDS
    while time.monotonic() < deadline:
        for line in api.console().splitlines():
            if request_id in line:
                entry = json.loads(line[line.index("{") :])
                return bool(entry.get("integrationStatus") == "429")
        time.sleep(0.05)
    raise AssertionError(f"no access log line for request {request_id}")


@dataclass(frozen=True)
class Caller:
    """One signed-in user (``sub``) of an emulated API, with a token of the emulator's issuer."""

    api: RunningApi
    sub: str

    @cached_property
    def authorization(self) -> dict[str, str]:
        return self.api.auth(self.sub)

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        headers = {**self.authorization, **options.pop("headers", {})}
        return self.api.client.request(method, path, headers=headers, **options)

    def request_until_admitted(self, method: str, path: str, **options: Any) -> tuple[httpx.Response, int]:
        """Send until the function serves the request; also returns how often Lambda throttled it."""
        throttled = 0
        while True:
            response = self.request(method, path, **options)
            if not throttled_by_lambda(self.api, response):
                return response, throttled
            throttled += 1
            time.sleep(0.05 * min(throttled, 10))

    def create(self, name: str, **fields: Any) -> dict[str, Any]:
        response = self.request("POST", "/items", json={"name": name, **fields})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def listing(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """Every item of the user, following the cursors page by page."""
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": limit}
        while True:
            response = self.request("GET", "/items", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            items += page["items"]
            if page["next_cursor"] is None:
                return items
            params = {"limit": limit, "cursor": page["next_cursor"]}
