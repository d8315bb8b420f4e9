"""A real browser calls the emulated API: Chromium, a page on dev's CORS origin, ``fetch`` with a token.

The page is served from ``http://localhost:3000``, the origin dev's CORS configuration allows (a local
front end's development server), and calls the API on another origin, so Chromium sends its CORS
preflight first, exactly as it would to API Gateway. With the template's routes the calls go through;
with the old protected ``ANY /{proxy+}`` route the preflight meets the authorizer and the browser
refuses the call. The page calls the API with the generated TypeScript client, as a web app would.
``/docs`` rendered in the same browser shows the API's operations, with Swagger UI loaded from the service
itself (this machine reaches no CDN).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from serverless_fastapi_cdk.toolkit.local_api.model import LocalApp
from tests.support.browser import element_text, page_server, rendered_dom
from tests.support.generated_clients import TypeScriptClient
from tests.support.local_api import RunningApi, running_api

PAGE_HOST = "127.0.0.1"
PAGE_PORT = 3000
ORIGIN = f"http://localhost:{PAGE_PORT}"
"""dev's allowed origin (cdk_app/config.py); localhost is loopback, where the page server listens."""

PAGE = """<!doctype html>
<html><body><pre id="result">pending</pre>
<script>/*client*/</script>
<script>
const api = /*api*/, token = /*token*/;
itemsClientTest.createAndList(api, token)
  .catch((error) => ({error: String(error)}))
  .then((result) => { document.getElementById("result").textContent = JSON.stringify(result); });
</script></body></html>
"""
"""The page of a web app: the generated TypeScript client (bundled with openapi-fetch) creates an item and
lists the caller's items (``createAndList`` in tests/service/typescript/items_round_trip.ts)."""


def browser_result(api: RunningApi, user: str, profile: Path, client: TypeScriptClient) -> dict[str, object]:
    page = (
        PAGE.replace("/*api*/", json.dumps(api.emulator.url))
        .replace("/*token*/", json.dumps(api.token(user)))
        .replace("/*client*/", client.browser_script)
    )
    with page_server(page, host=PAGE_HOST, port=PAGE_PORT):
        dom = rendered_dom(f"{ORIGIN}/", profile)
    result: dict[str, object] = json.loads(element_text(dom, "result"))
    return result


def test_dev_allows_the_pages_origin(dev_api: RunningApi) -> None:
    cors = dev_api.emulator.app.api.cors
    assert cors is not None
    assert ORIGIN in cors.allow_origins


def test_a_page_on_the_allowed_origin_creates_and_lists_items_with_a_token(
    dev_api: RunningApi, tmp_path: Path, typescript_client: TypeScriptClient
) -> None:
    result = browser_result(dev_api, "browser-user", tmp_path / "profile", typescript_client)

    assert result == {"created": 201, "etag": '"1"', "listed": 200, "names": ["browser lamp"]}


def test_with_the_old_any_route_the_browser_refuses_the_call(
    dev_assembly_dir: Path, tmp_path: Path, typescript_client: TypeScriptClient
) -> None:
    def old_routes(app: LocalApp) -> LocalApp:
        protected = [route for route in app.api.routes if route.route_key.endswith(" /{proxy+}")]
        catch_all = dataclasses.replace(protected[0], route_key="ANY /{proxy+}")
        routes = (*(route for route in app.api.routes if route not in protected), catch_all)
        return app.with_api(dataclasses.replace(app.api, routes=routes))

    with running_api(dev_assembly_dir, tmp_path / "state", old_routes) as api:
        result = browser_result(api, "browser-user", tmp_path / "profile", typescript_client)
        console = api.console()

    assert result == {"error": "TypeError: Failed to fetch"}
    assert '"httpMethod":"OPTIONS"' in console
    assert '"status":"401"' in console


def test_docs_render_the_operations_with_swagger_ui_from_the_service(
    dev_api: RunningApi, tmp_path: Path
) -> None:
    document = dev_api.client.get("/openapi.json").json()
    operations = {(method.upper(), path) for path, item in document["paths"].items() for method in item}

    dom = rendered_dom(f"{dev_api.emulator.url}/docs", tmp_path / "profile")

    shown = set(re.findall(r'opblock-summary-method">(\w+)</span>.*?data-path="([^"]+)"', dom))
    assert shown == operations
    assert len(operations) >= 6
