"""The post-traffic hook, run through its entry point against the dev stage served by the local emulator.

The hook goes the way a client does: a client-credentials token from the emulator's issuer (its
``/oauth2/token`` stands in for the Cognito domain's), then every request over HTTP to the stage on loopback,
through the routes, the JWT authorizer, CORS and the real runtime on moto's DynamoDB. Two AWS calls cannot
happen here and only those go to stand-ins (botocore's ``Stubber`` on the hook's own clients):
``cognito-idp:DescribeUserPoolClient`` answers with the secret registered in the issuer, and
``codedeploy:PutLifecycleEventHookExecutionStatus`` records what the hook reported.

The stage is dev's as synthesized: its authorizer's audience lists the deployment-check client (the
template's client id, resolved by the emulator), which is registered in the issuer with its scope.
The table's items are counted before and after each run.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cdk_app import items_round_trip
from cdk_app.stacks.stateful import DEPLOYMENT_CHECK_RESOURCE_SERVER, DEPLOYMENT_CHECK_SCOPE
from runtime import contract
from serverless_fastapi_cdk.canary_deployment import ENV_HEALTH_PATH, ENV_HEALTH_VERSION_FIELD
from serverless_fastapi_cdk.hooks import hook_common, post_traffic
from serverless_fastapi_cdk.toolkit.local_api.emulator import Emulator
from serverless_fastapi_cdk.toolkit.local_api.issuer import OAUTH_TOKEN_PATH
from serverless_fastapi_cdk.toolkit.local_api.model import LocalApp
from tests.support.local_api import RunningApi, running_api

CLIENT_SECRET = "deployment-check-secret-" + "x" * 28
SCOPE = f"{DEPLOYMENT_CHECK_RESOURCE_SERVER}/{DEPLOYMENT_CHECK_SCOPE}"
USER_POOL_ID = "eu-west-1_Example01"
ALLOWED_ORIGIN = "http://localhost:3000"
"""dev's CORS origin (cdk_app/config.py)."""
DEPLOYMENT_ID = "d-POSTTRAFFIC"
EXECUTION_ID = "post-traffic-lifecycle-event-hook-execution-id"
EVENT = {"DeploymentId": DEPLOYMENT_ID, "LifecycleEventHookExecutionId": EXECUTION_ID}
ROUND_TRIP = ["health", "create", "read", "list", "replace", "stale-replace", "delete", "read-deleted"]
HOOK_TIMEOUT_MS = 150_000


def deployment_check_client(app: LocalApp) -> str:
    """The deployment-check client's id as the template's authorizer lists it: its second audience."""
    audiences = {route.authorizer.audience for route in app.api.routes if route.authorizer}
    (audience,) = audiences
    _user_client, check_client = audience
    return check_client


def as_synthesized(app: LocalApp) -> LocalApp:
    return app


def without_deployment_check_audience(app: LocalApp) -> LocalApp:
    """An authorizer whose audience lacks the deployment-check client: its tokens are refused (401)."""
    routes = tuple(
        dataclasses.replace(
            route,
            authorizer=dataclasses.replace(route.authorizer, audience=route.authorizer.audience[:1]),
        )
        if route.authorizer
        else route
        for route in app.api.routes
    )
    return app.with_api(dataclasses.replace(app.api, routes=routes))


def with_old_catch_all(app: LocalApp) -> LocalApp:
    """The template before the CORS fix: one protected ``ANY /{proxy+}`` in place of the per-method ones."""
    protected = [route for route in app.api.routes if route.route_key.endswith(" /{proxy+}")]
    catch_all = dataclasses.replace(protected[0], route_key="ANY /{proxy+}")
    routes = (*(route for route in app.api.routes if route not in protected), catch_all)
    return app.with_api(dataclasses.replace(app.api, routes=routes))


@dataclasses.dataclass
class Outcome:
    verdict: hook_common.Verdict
    reported: list[dict[str, Any]]
    items_before: int
    items_after: int
    log: str


def count_items(api: Stage) -> int:
    (function,) = api.emulator.app.functions()
    table = function.environment[contract.ENV_TABLE_NAME]
    return api.emulator.aws.dynamodb().scan(TableName=table, Select="COUNT")["Count"]


def environment(api: Stage, **overrides: str) -> dict[str, str]:
    (function,) = api.emulator.app.functions()
    return {
        post_traffic.ENV_STAGE_URL: api.emulator.url,
        hook_common.ENV_TOKEN_URL: api.emulator.issuer.url + OAUTH_TOKEN_PATH,
        hook_common.ENV_USER_POOL_ID: USER_POOL_ID,
        hook_common.ENV_CLIENT_ID: api.client_id,
        hook_common.ENV_SCOPE: SCOPE,
        post_traffic.ENV_ALLOWED_ORIGIN: ALLOWED_ORIGIN,
        post_traffic.ENV_EXPECTED_VERSION: function.version,
        hook_common.ENV_TARGET_TIMEOUT_SECONDS: str(int(function.timeout_seconds)),
        ENV_HEALTH_PATH: contract.HEALTH_PATH,
        ENV_HEALTH_VERSION_FIELD: contract.HEALTH_FUNCTION_VERSION_FIELD,
        **overrides,
    }


def run_hook(
    api: Stage,
    caplog: pytest.LogCaptureFixture,
    *,
    remaining_ms: Callable[[], int] = lambda: HOOK_TIMEOUT_MS,
    overrides: dict[str, str] | None = None,
    secret: str = CLIENT_SECRET,
) -> Outcome:
    """The hook's entry point with stand-ins on its two AWS clients; what it reported is recorded."""
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
    )
    cognito = session.client("cognito-idp")
    codedeploy = session.client("codedeploy")
    reported: list[dict[str, Any]] = []
    codedeploy.meta.events.register(
        "before-parameter-build.codedeploy.PutLifecycleEventHookExecutionStatus",
        lambda params, **_: reported.append(dict(params)),
    )
    with Stubber(cognito) as cognito_stub, Stubber(codedeploy) as codedeploy_stub:
        cognito_stub.add_response(
            "describe_user_pool_client",
            {
                "UserPoolClient": {
                    "UserPoolId": USER_POOL_ID,
                    "ClientId": api.client_id,
                    "ClientName": "deployment-check",
                    "ClientSecret": secret,
                }
            },
            {"UserPoolId": USER_POOL_ID, "ClientId": api.client_id},
        )
        codedeploy_stub.add_response("put_lifecycle_event_hook_execution_status", {})
        before = count_items(api)
        with caplog.at_level("INFO"):
            verdict = post_traffic.run(
                EVENT,
                remaining_ms=remaining_ms,
                environ=environment(api, **(overrides or {})),
                cognito_client=cognito,
                codedeploy_client=codedeploy,
                service_check=items_round_trip.run,
            )
        after = count_items(api)
    return Outcome(verdict, reported, before, after, caplog.text)


@dataclasses.dataclass
class Stage:
    """The running stage and the deployment-check client's id in it."""

    api: RunningApi
    client_id: str

    @property
    def emulator(self) -> Emulator:
        return self.api.emulator


def serve(customize: Callable[[LocalApp], LocalApp]) -> Callable[..., Iterator[Stage]]:
    @pytest.fixture(scope="module")
    def fixture(dev_assembly_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
        client_id: list[str] = []

        def register(app: LocalApp) -> LocalApp:
            client_id.append(deployment_check_client(app))
            return customize(app)

        with running_api(dev_assembly_dir, tmp_path_factory.mktemp("post-traffic"), register) as api:
            api.emulator.issuer.register_client(client_id[0], CLIENT_SECRET, (SCOPE,))
            yield Stage(api, client_id[0])

    return fixture


def with_another_origin(app: LocalApp) -> LocalApp:
    """CORS configured for some other site: the answers to dev's origin lack its header."""
    assert app.api.cors is not None
    cors = dataclasses.replace(app.api.cors, allow_origins=("https://elsewhere.example.com",))
    return app.with_api(dataclasses.replace(app.api, cors=cors))


healthy_stage = serve(as_synthesized)
old_routes_stage = serve(with_old_catch_all)
wrong_audience_stage = serve(without_deployment_check_audience)
other_origin_stage = serve(with_another_origin)


def reported_status(outcome: Outcome) -> list[str]:
    assert [{k: v for k, v in call.items() if k != "status"} for call in outcome.reported] == [
        {"deploymentId": DEPLOYMENT_ID, "lifecycleEventHookExecutionId": EXECUTION_ID}
    ]
    return [call["status"] for call in outcome.reported]


def test_a_healthy_stage_passes_every_step_through_the_gateway(
    healthy_stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    outcome = run_hook(healthy_stage, caplog)

    assert reported_status(outcome) == ["Succeeded"], outcome.verdict.reason
    assert outcome.verdict.reason.endswith(f"passed {', '.join(ROUND_TRIP)} through the stage")
    assert outcome.items_before == outcome.items_after


def test_the_probe_uses_the_client_credentials_token_and_its_own_partition(
    healthy_stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    user_token = {"authorization": f"Bearer {healthy_stage.api.token(f'user-{uuid.uuid4().hex[:8]}')}"}
    created = healthy_stage.api.client.post("/items", json={"name": "a user's lamp"}, headers=user_token)
    assert created.status_code == 201

    outcome = run_hook(healthy_stage, caplog)

    assert reported_status(outcome) == ["Succeeded"], outcome.verdict.reason
    listed = healthy_stage.api.client.get("/items", headers=user_token).json()["items"]
    assert [item["id"] for item in listed] == [created.json()["id"]], "the probe never sees a user's items"
    assert outcome.items_after == outcome.items_before


def test_the_old_catch_all_route_fails_at_the_first_preflight(
    old_routes_stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    """``ANY /{proxy+}`` answers the calls themselves; it sends the browser's preflight to the authorizer."""
    outcome = run_hook(old_routes_stage, caplog)

    assert reported_status(outcome) == ["Failed"]
    assert outcome.verdict.reason.startswith(
        "step 'create' failed: no answer: PreflightRefusedError: OPTIONS /items for POST answered 401"
    ), outcome.verdict.reason
    assert outcome.items_after == outcome.items_before


def test_an_audience_without_the_client_fails_at_create(
    wrong_audience_stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    outcome = run_hook(wrong_audience_stage, caplog)

    assert reported_status(outcome) == ["Failed"]
    assert outcome.verdict.reason.startswith("step 'create' failed: answered 401")
    assert outcome.items_after == outcome.items_before


def test_a_wrong_secret_fails_at_the_token_step(
    healthy_stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    outcome = run_hook(healthy_stage, caplog, secret="a-secret-rotated-away-since-then")

    assert reported_status(outcome) == ["Failed"]
    assert outcome.verdict.reason == (
        "step 'token' failed: RuntimeError: token endpoint answered 400: b'{\"error\": \"invalid_client\"}'"
    )


def test_cors_for_another_origin_fails_at_health(
    other_origin_stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    outcome = run_hook(other_origin_stage, caplog)

    assert reported_status(outcome) == ["Failed"]
    assert outcome.verdict.reason == (
        "step 'health' failed: answered 200; CORS: access-control-allow-origin None, "
        f"expected {ALLOWED_ORIGIN!r}"
    )
    assert outcome.items_after == outcome.items_before


def test_out_of_time_before_the_token_still_reports_failed(
    healthy_stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    """With less time left than one call and the report need, the hook calls nothing and reports."""
    outcome = run_hook(healthy_stage, caplog, remaining_ms=lambda: 20_000)

    assert reported_status(outcome) == ["Failed"]
    assert outcome.verdict.reason.startswith("step 'token' failed: ")
    assert "s left, the step needs up to" in outcome.verdict.reason


def test_the_hook_refuses_a_stage_url_that_is_not_https(
    healthy_stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    outcome = run_hook(
        healthy_stage, caplog, overrides={post_traffic.ENV_STAGE_URL: "http://api.example.com"}
    )

    assert reported_status(outcome) == ["Failed"]
    assert "STAGE_URL must be an https:// URL" in outcome.verdict.reason
