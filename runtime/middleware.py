"""ASGI middleware: the request-body limit and the last line of defence for unexpected errors."""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.envelope import error_response, request_id
from runtime.errors import ApiError, BadRequestError, ErrorCode, PayloadTooLargeError
from runtime.observability import METRIC_NAMES, count, logger, record_status

INTERNAL_ERROR_MESSAGE = "An unexpected error occurred; it has been logged."
MAX_CONTENT_LENGTH_DIGITS = 19
_CONTENT_LENGTH = re.compile(rf"[0-9]{{1,{MAX_CONTENT_LENGTH_DIGITS}}}")


class UnhandledErrorMiddleware:
    """Answer any exception that escaped the handlers with a bare 500 envelope.

    The response says nothing about the error; the log line carries its traceback and the request
    id (the logs' correlation id), and the UnhandledErrors metric counts it once. Being outermost, it
    also records every response's status class (:func:`runtime.observability.record_status`).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        logger.set_correlation_id(request_id(scope))
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                record_status(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        # The catch-all boundary of the service: whatever escaped is logged here, with its traceback.
        except Exception:  # noqa: BLE001
            logger.exception("Unhandled error", extra={"method": scope["method"], "path": scope["path"]})
            count(METRIC_NAMES.unhandled_errors)
            if not response_started:
                response = error_response(
                    scope, status_code=500, code=ErrorCode.INTERNAL_ERROR, message=INTERNAL_ERROR_MESSAGE
                )
                await response(scope, receive, tracking_send)


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with a 413, before the application reads them."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            declared = declared_length(Headers(scope=scope).getlist("content-length"))
        except BadRequestError as error:
            await _reject(error, scope, receive, send)
            return
        if declared is not None and declared > self.max_bytes:
            await _reject(PayloadTooLargeError(), scope, receive, send)
            return
        body = bytearray()
        more_body = True
        while more_body:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more_body = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await _reject(PayloadTooLargeError(), scope, receive, send)
                return
        await self.app(scope, _replay(bytes(body), receive), send)


def declared_length(values: list[str]) -> int | None:
    """The request's ``Content-Length``: None when absent, else one value of ASCII digits.

    RFC 9110 section 8.6 allows only ``1*DIGIT``; leading zeros are accepted within
    :data:`MAX_CONTENT_LENGTH_DIGITS` digits, the most a signed 64-bit length has. Several values (two
    headers, or a comma-separated list), signs, blanks, non-ASCII digits such as ``²`` and longer
    values are refused with :class:`BadRequestError`.
    """
    if not values:
        return None
    if len(values) > 1 or not _CONTENT_LENGTH.fullmatch(values[0]):
        raise BadRequestError(
            f"Content-Length must be one decimal number of at most {MAX_CONTENT_LENGTH_DIGITS} digits."
        )
    return int(values[0])


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replaying_receive() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replaying_receive


async def _reject(error: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(scope, status_code=error.status_code, code=error.code, message=error.message)
    await response(scope, receive, send)
