"""Build the FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import Scope

from runtime.contract import OPENAPI_PATH
from runtime.edge_origin import EdgeOriginMiddleware
from runtime.error_handlers import install_error_handlers
from runtime.middleware import BodyLimitMiddleware, UnhandledErrorMiddleware
from runtime.openapi import install_contract
from runtime.routers import docs, health, items
from runtime.settings import MAX_REQUEST_BODY_BYTES, Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service; ``settings`` default to the process environment.

    Paths carry no stage prefix: the HTTP API serves its ``$default`` stage at the root, so the docs
    at ``/docs`` load ``/openapi.json`` as is, and Swagger UI's assets come from the service itself
    (:mod:`runtime.routers.docs`). A path with a trailing slash (``/items/``) is an unknown
    route, answered with the 404 envelope: Starlette's default redirect would point clients at an
    ``https://<host>`` URL built from headers, and no route of the API ends in a slash.
    """
    settings = settings or get_settings()
    docs_enabled = settings.enable_docs
    app = FastAPI(
        title="Items service",
        version=settings.app_version or "unversioned",
        description="Items owned by the calling user. Errors use one envelope: "
        '`{"error": {"code", "message", "request_id"}}`.',
        docs_url=None,
        openapi_url=OPENAPI_PATH if docs_enabled else None,
        redoc_url=None,
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(items.router)
    if docs_enabled:
        app.include_router(docs.router)
    install_error_handlers(app)
    install_contract(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_REQUEST_BODY_BYTES)
    if settings.origin_secret_name is not None:
        app.add_middleware(EdgeOriginMiddleware, secret_name=settings.origin_secret_name)
    app.add_middleware(UnhandledErrorMiddleware)
    return app


_UNROUTED_SCOPE: Scope = {"type": "http", "method": "GET", "path": "/", "root_path": "", "headers": []}
"""A request that no route matches, so that matching it visits every route."""


def resolve_routes(app: FastAPI) -> None:
    """Have FastAPI prepare every route now rather than on the first request that reaches it.

    FastAPI resolves the routes of an included router (their parameters, dependencies and response
    models) the first time a request is matched against them: about a third of the first request's
    time. Matching a request that no route takes, without calling anything, does it during INIT.
    """
    for route in app.router.routes:
        route.matches(dict(_UNROUTED_SCOPE))
