"""Exception handlers turning every expected error into the error envelope.

Unexpected exceptions are not handled here but by
:class:`runtime.middleware.UnhandledErrorMiddleware`, so that each is logged and counted once.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from runtime.contract import METRIC_CONFLICTS
from runtime.envelope import error_response
from runtime.errors import ApiError, ErrorCode, PreconditionRequiredError
from runtime.observability import count
from runtime.schemas.errors import FieldError

_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
_HTTP_ERRORS = {
    400: (ErrorCode.BAD_REQUEST, "The request could not be read."),
    404: (ErrorCode.ROUTE_NOT_FOUND, "No route matches this path."),
    405: (ErrorCode.METHOD_NOT_ALLOWED, "This route does not support this method."),
}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]


async def _api_error(request: Request, error: ApiError) -> Response:
    if error.is_conflict:
        count(METRIC_CONFLICTS)
    return error_response(
        request.scope,
        status_code=error.status_code,
        code=error.code,
        message=error.message,
        headers=error.headers,
    )


async def _validation_error(request: Request, error: RequestValidationError) -> Response:
    if any(_is_missing_if_match(detail) for detail in error.errors()):
        return await _api_error(request, PreconditionRequiredError())
    fields = [
        FieldError(
            field=".".join(str(part) for part in detail["loc"]), message=detail["msg"], type=detail["type"]
        )
        for detail in error.errors()
    ]
    return error_response(
        request.scope,
        status_code=422,
        code=ErrorCode.VALIDATION_FAILED,
        message="The request is not valid; see the offending fields.",
        fields=fields,
    )


async def _http_error(request: Request, error: HTTPException) -> Response:
    fallback = ErrorCode.BAD_REQUEST if error.status_code < 500 else ErrorCode.INTERNAL_ERROR
    code, message = _HTTP_ERRORS.get(error.status_code, (fallback, "The request failed."))
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return error_response(
        request.scope, status_code=error.status_code, code=code, message=message, headers=headers
    )


def _is_missing_if_match(detail: Any) -> bool:
    """A route that requires If-Match answers its absence with 428 (RFC 6585), not as a malformed request."""
    return detail.get("type") == "missing" and tuple(detail.get("loc", ())) == ("header", "If-Match")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts on this path (Starlette's Allow names one route's methods only)."""
    allowed = []
    for method in _METHODS:
        probe = {
            "type": "http",
            "path": request.scope["path"],
            "root_path": request.scope.get("root_path", ""),
        }
        probe["method"] = method
        if any(route.matches(probe)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed
