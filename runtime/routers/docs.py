"""``GET /docs``: Swagger UI, its script and stylesheet served by the service itself, never from a CDN.

FastAPI's default page loads Swagger UI from a CDN at run time, a third party every reader of the docs
depends on (and which a locked-down network cannot reach). The assets are the Swagger UI 5 bundle that
``aws-lambda-powertools`` ships for its own event handler (pinned in ``runtime/requirements.txt``), read
on the first request that needs them. The page's favicon is empty for the same reason.
"""

from __future__ import annotations

import functools
from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from runtime.contract import DOCS_ASSETS_PATH, DOCS_PATH, OPENAPI_PATH

SWAGGER_UI_PACKAGE = "aws_lambda_powertools.event_handler.openapi.swagger_ui"
ASSETS = {
    "swagger-ui-bundle.js": ("swagger-ui-bundle.min.js", "text/javascript; charset=utf-8"),
    "swagger-ui.css": ("swagger-ui.min.css", "text/css; charset=utf-8"),
}
"""Served name -> (file in :data:`SWAGGER_UI_PACKAGE`, media type)."""
CACHE_CONTROL = "public, max-age=86400"

router = APIRouter(include_in_schema=False)


@router.get(DOCS_PATH)
def docs_page() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI_PATH,
        title="Items service - Swagger UI",
        swagger_js_url=f"{DOCS_ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url="data:,",
    )


@router.get(DOCS_ASSETS_PATH + "/{name}")
def docs_asset(name: str) -> Response:
    if name not in ASSETS:
        raise HTTPException(status_code=404)
    file_name, media_type = ASSETS[name]
    return Response(_asset(file_name), media_type=media_type, headers={"Cache-Control": CACHE_CONTROL})


@functools.cache
def _asset(file_name: str) -> bytes:
    return resources.files(SWAGGER_UI_PACKAGE).joinpath(file_name).read_bytes()
