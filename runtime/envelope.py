"""Building error responses in the one envelope, and the request id they carry."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import Scope

from runtime.errors import ErrorCode
from runtime.schemas.errors import ErrorBody, ErrorEnvelope, FieldError


def request_id(scope: Scope) -> str:
    """API Gateway's request id (also the logs' correlation id); a fresh id outside Lambda.

    The first call for a request stores it in the request state, so every later call agrees.
    """
    state: dict[str, Any] = scope.setdefault("state", {})
    if "request_id" not in state:
        event = scope.get("aws.event")
        context = event.get("requestContext") if isinstance(event, Mapping) else None
        from_gateway = context.get("requestId") if isinstance(context, Mapping) else None
        state["request_id"] = from_gateway if isinstance(from_gateway, str) else uuid.uuid4().hex
    return str(state["request_id"])


def error_response(
    scope: Scope,
    *,
    status_code: int,
    code: ErrorCode,
    message: str,
    headers: Mapping[str, str] | None = None,
    fields: Sequence[FieldError] | None = None,
) -> JSONResponse:
    body = ErrorEnvelope(
        error=ErrorBody(
            code=code,
            message=message,
            request_id=request_id(scope),
            fields=list(fields) if fields is not None else None,
        )
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True), status_code=status_code, headers=headers
    )
