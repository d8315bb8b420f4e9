"""Build the FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from runtime.error_handlers import install_error_handlers
from runtime.middleware import BodyLimitMiddleware, UnhandledErrorMiddleware
from runtime.openapi import install_contract
from runtime.routers import health, items
from runtime.settings import MAX_REQUEST_BODY_BYTES, Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service; ``settings`` default to the process environment.

    Paths carry no stage prefix: the HTTP API serves its ``$default`` stage at the root, so the docs
    at ``/docs`` load ``/openapi.json`` as is. A path with a trailing slash (``/items/``) is an unknown
    route, answered with the 404 envelope: Starlette's default redirect would point clients at an
    ``https://<host>`` URL built from headers, and no route of the API ends in a slash.
    """
    settings = settings or get_settings()
    docs = settings.enable_docs
    app = FastAPI(
        title="Items service",
        version=settings.app_version or "unversioned",
        description="Items owned by the calling user. Errors use one envelope: "
        '`{"error": {"code", "message", "request_id"}}`.',
        docs_url="/docs" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        redoc_url=None,
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(items.router)
    install_error_handlers(app)
    install_contract(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_REQUEST_BODY_BYTES)
    app.add_middleware(UnhandledErrorMiddleware)
    return app
