"""Errors the API answers with, each with its HTTP status and machine-readable code.

Every error response uses one envelope (see :mod:`runtime.schemas.errors`); the code is the contract
with clients, the message is for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from runtime.settings import MAX_REQUEST_BODY_BYTES, RETRY_AFTER_SECONDS


class ErrorCode(StrEnum):
    BAD_REQUEST = "bad_request"
    INVALID_CURSOR = "invalid_cursor"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    ROUTE_NOT_FOUND = "route_not_found"
    ITEM_NOT_FOUND = "item_not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    PRECONDITION_FAILED = "precondition_failed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    VALIDATION_FAILED = "validation_failed"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    PRECONDITION_REQUIRED = "precondition_required"
    INTERNAL_ERROR = "internal_error"
    SERVICE_UNAVAILABLE = "service_unavailable"


class ApiError(Exception):
    """An expected failure that ends the request with an error envelope."""

    status_code: int = 500
    code: ErrorCode = ErrorCode.INTERNAL_ERROR
    is_conflict: bool = False
    """Counted in the Conflicts metric (a concurrent writer or request won)."""

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})


class BadRequestError(ApiError):
    status_code = 400
    code = ErrorCode.BAD_REQUEST


class InvalidCursorError(ApiError):
    status_code = 400
    code = ErrorCode.INVALID_CURSOR

    def __init__(self) -> None:
        super().__init__("The cursor is not valid for this caller; start again without a cursor.")


class UnauthorizedError(ApiError):
    status_code = 401
    code = ErrorCode.UNAUTHORIZED

    def __init__(self) -> None:
        super().__init__("The request carries no verified identity.", headers={"WWW-Authenticate": "Bearer"})


class ItemNotFoundError(ApiError):
    status_code = 404
    code = ErrorCode.ITEM_NOT_FOUND

    def __init__(self) -> None:
        super().__init__("No such item.")


class IdempotencyInProgressError(ApiError):
    status_code = 409
    code = ErrorCode.IDEMPOTENCY_IN_PROGRESS
    is_conflict = True

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed; retry later.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


class PreconditionFailedError(ApiError):
    status_code = 412
    code = ErrorCode.PRECONDITION_FAILED
    is_conflict = True

    def __init__(self) -> None:
        super().__init__("If-Match does not match the current version of the item.")


class PayloadTooLargeError(ApiError):
    status_code = 413
    code = ErrorCode.PAYLOAD_TOO_LARGE

    def __init__(self) -> None:
        super().__init__(f"The request body exceeds {MAX_REQUEST_BODY_BYTES} bytes.")


class UnsupportedMediaTypeError(ApiError):
    status_code = 415
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE

    def __init__(self) -> None:
        super().__init__("The request body must be JSON (Content-Type: application/json).")


class IdempotencyKeyReusedError(ApiError):
    status_code = 422
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED

    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was already used with a different request body.")


class PreconditionRequiredError(ApiError):
    status_code = 428
    code = ErrorCode.PRECONDITION_REQUIRED

    def __init__(self) -> None:
        super().__init__("This request must carry an If-Match header with the item's ETag.")


class ServiceUnavailableError(ApiError):
    """A dependency (DynamoDB, Secrets Manager) throttled or could not be reached; logged where raised."""

    status_code = 503
    code = ErrorCode.SERVICE_UNAVAILABLE

    def __init__(self) -> None:
        super().__init__(
            "The service is temporarily unavailable; retry later.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
