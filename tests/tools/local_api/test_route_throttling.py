"""Per-route throttling: a route with its own ``RouteSettings`` limits uses them in place of the stage's.

API Gateway's route-level throttling replaces the stage's default limits for that route
(docs/aws-fidelity.md). The public ``/health`` has its own limits in every environment, so callers
without a token cannot spend the rate the API's users need.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cdk_app.config import DEV
from serverless_fastapi_cdk.toolkit.local_api.model import LocalApp, ThrottleSpec
from tests.support.local_api import RunningApi, running_api

NEVER_REFILLS = 0.001
"""A rate at which no token comes back during the test, so counts are exact whatever the machine's speed."""


def test_the_dev_template_gives_every_public_route_its_own_limits(dev_api: RunningApi) -> None:
    api = dev_api.emulator.app.api
    expected = ThrottleSpec(
        rate_limit=DEV.public_route_throttle.rate_limit, burst_limit=DEV.public_route_throttle.burst_limit
    )
    public = ("GET /health", "GET /docs", "GET /docs/assets/{name}", "GET /openapi.json")
    assert api.route_throttles == dict.fromkeys(public, expected)
    stage = DEV.throttle
    assert api.throttle == ThrottleSpec(rate_limit=stage.rate_limit, burst_limit=stage.burst_limit)


def test_health_is_throttled_at_its_own_rate_while_items_keep_the_stages(
    dev_assembly_dir: Path, tmp_path: Path
) -> None:
    def tight(app: LocalApp) -> LocalApp:
        health = ThrottleSpec(rate_limit=NEVER_REFILLS, burst_limit=3)
        stage = ThrottleSpec(rate_limit=NEVER_REFILLS, burst_limit=5)
        routes = {**app.api.route_throttles, "GET /health": health}
        return app.with_api(dataclasses.replace(app.api, throttle=stage, route_throttles=routes))

    with running_api(dev_assembly_dir, tmp_path, tight) as api:
        headers = api.auth("tess")
        health = [api.client.get("/health").status_code for _ in range(4)]
        items = [api.client.get("/items", headers=headers).status_code for _ in range(6)]
        refused = api.client.get("/health")

    assert health == [200, 200, 200, 429]
    assert items == [200, 200, 200, 200, 200, 429], "the stage's burst is untouched by /health's calls"
    assert refused.json() == {"message": "Too Many Requests"}
