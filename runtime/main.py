"""Build the FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import Scope

from runtime.contract import OPENAPI_PATH
from runtime.edge_origin import EdgeOriginMiddleware
from runtime.error_handlers import install_error_handlers
from runtime.middleware import BodyLimitMiddleware, UnhandledErrorMiddleware
from runtime.openapi import install_contract
from runtime.operations import TAGS, operation_id
from runtime.routers import docs, health, items
from runtime.settings import MAX_REQUEST_BODY_BYTES, Settings, get_settings

DESCRIPTION = """Items owned by the calling user.

- **Authentication**: every `/items` operation needs `Authorization: Bearer <access token>`; a caller
  sees only its own items, and another user's item is a 404.
- **Errors**: the service answers in one envelope, `{"error": {"code", "message", "request_id"}}`, whose
  `code` is stable and machine-readable. API Gateway answers some requests itself (401 and 403 from the
  authorizer, 413, 429, 500, 503) with `{"message": "..."}`; each response lists which shapes it may have.
- **Concurrency**: reads return an `ETag`; `replaceItem` requires it in `If-Match` (412 when the item
  changed since, 428 without it) and `deleteItem` honours it.
- **Retries**: `createItem` with an `Idempotency-Key` creates at most once; a retry with the same key and
  body gets the first answer again.
- **Pages**: `listItems` returns at most `limit` items and a `next_cursor` to pass back unchanged as
  `cursor` until it is null.
"""
"""The document's description: what a client author needs before the first call."""


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
        description=DESCRIPTION,
        docs_url=None,
        openapi_url=OPENAPI_PATH if docs_enabled else None,
        redoc_url=None,
        redirect_slashes=False,
        openapi_tags=TAGS,
        generate_unique_id_function=operation_id,
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
