"""The Lambda adapter: Mangum without ASGI lifespan, so no invocation runs the app's startup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from runtime.contract import HEALTH_PATH
from tests.support.apigw import LambdaApi


def test_no_invocation_runs_the_apps_lifespan(api: LambdaApi, monkeypatch: pytest.MonkeyPatch) -> None:
    """With Mangum's default ("auto") every invocation would start and stop the app's lifespan."""
    from runtime.handler import app

    started: list[Any] = []

    @asynccontextmanager
    async def recording_lifespan(lifespan_app: Any) -> AsyncIterator[None]:
        started.append(lifespan_app)
        yield

    monkeypatch.setattr(app.router, "lifespan_context", recording_lifespan)

    responses = [api.get(HEALTH_PATH) for _ in range(2)]

    assert [response.status for response in responses] == [200, 200]
    assert started == []
