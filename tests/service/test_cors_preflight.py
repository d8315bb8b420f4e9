"""A browser's CORS preflight, then its real call, on every route of the service, through the emulator.

API Gateway answers a preflight itself only when no route matches the ``OPTIONS`` request; an ``ANY``
route matches it and takes it to its authorizer, which refuses it (a preflight never carries a token).
The emulator routes preflights that way, so the template's routes decide the outcome here as in AWS:
the old protected ``ANY /{proxy+}`` fails, the per-method catch-alls pass (docs/aws-fidelity.md).
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import httpx

from serverless_fastapi_cdk.toolkit.local_api.model import LocalApp
from tests.support.local_api import RunningApi, running_api

ALLOWED_ORIGIN = "http://localhost:3000"
"""dev's CORS origin (cdk_app/config.py)."""
REQUEST_HEADERS = {
    "GET": "authorization",
    "POST": "authorization,content-type,idempotency-key",
    "PUT": "authorization,content-type,if-match",
    "DELETE": "authorization,if-match",
}
"""What a browser lists in ``Access-Control-Request-Headers`` for the service's calls."""
BROWSER_CALLS = (
    ("GET", "/health"),
    ("GET", "/docs"),
    ("GET", "/docs/assets/swagger-ui.css"),
    ("GET", "/openapi.json"),
    ("POST", "/items"),
    ("GET", "/items"),
    ("GET", "/items/{item_id}"),
    ("PUT", "/items/{item_id}"),
    ("DELETE", "/items/{item_id}"),
)
"""In the order a browser session would make them: the item created first is read, replaced, deleted."""


def preflight(client: httpx.Client, method: str, path: str) -> httpx.Response:
    return client.options(
        path,
        headers={
            "origin": ALLOWED_ORIGIN,
            "access-control-request-method": method,
            "access-control-request-headers": REQUEST_HEADERS[method],
        },
    )


def assert_preflight_allows(response: httpx.Response, method: str) -> None:
    assert response.status_code == 204, (method, response.status_code, response.text)
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert method in response.headers["access-control-allow-methods"].split(",")
    allowed = set(response.headers["access-control-allow-headers"].split(","))
    assert set(REQUEST_HEADERS[method].split(",")) <= allowed


def test_the_browser_calls_cover_every_operation_of_the_service(dev_api: RunningApi) -> None:
    document = dev_api.client.get("/openapi.json").json()
    operations = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    docs = {("GET", "/docs"), ("GET", "/docs/assets/swagger-ui.css"), ("GET", "/openapi.json")}
    assert operations | docs == set(BROWSER_CALLS)


def test_every_route_answers_a_preflight_without_the_function_then_the_real_call(
    dev_api: RunningApi,
) -> None:
    client = dev_api.client
    token = {"authorization": f"Bearer {dev_api.token(f'cors-{uuid.uuid4().hex[:8]}')}"}
    etag = '"1"'
    item_id = ""
    for method, template in BROWSER_CALLS:
        path = template.replace("{item_id}", item_id)
        starts_before = dev_api.console().count("START RequestId")
        assert_preflight_allows(preflight(client, method, path), method)
        assert dev_api.console().count("START RequestId") == starts_before, f"{method} {path} invoked"

        headers = {"origin": ALLOWED_ORIGIN, **token, "if-match": etag}
        if method == "POST":
            headers["idempotency-key"] = uuid.uuid4().hex
        body = {"name": "lamp"} if method in ("POST", "PUT") else None
        response = client.request(method, path, json=body, headers=headers)

        assert response.status_code in (200, 201, 204), (method, path, response.status_code, response.text)
        assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        if method == "POST":
            item_id = response.json()["id"]
        etag = response.headers.get("etag", etag)


def test_the_old_protected_any_route_sends_the_preflight_to_the_authorizer(
    dev_assembly_dir: Path, tmp_path: Path
) -> None:
    """The template before the fix, ``ANY /{proxy+}`` with the JWT authorizer, rebuilt as route specs."""

    def old_routes(app: LocalApp) -> LocalApp:
        protected = [route for route in app.api.routes if route.route_key.endswith(" /{proxy+}")]
        assert protected
        assert all(route.authorizer is not None for route in protected)
        catch_all = dataclasses.replace(protected[0], route_key="ANY /{proxy+}")
        routes = (*(route for route in app.api.routes if route not in protected), catch_all)
        return app.with_api(dataclasses.replace(app.api, routes=routes))

    with running_api(dev_assembly_dir, tmp_path, old_routes) as api:
        refused = {path: preflight(api.client, "GET", path) for path in ("/items", "/health")}
        real = api.client.get("/items", headers={"origin": ALLOWED_ORIGIN, **api.auth("olga")})

    assert {path: response.status_code for path, response in refused.items()} == {
        "/items": 401,
        "/health": 401,
    }, "GET /health does not match OPTIONS /health, so ANY /{proxy+} takes that preflight too"
    assert refused["/items"].json() == {"message": "Unauthorized"}
    assert real.status_code == 200
