"""Refuse requests that reached API Gateway without passing the edge (CloudFront with WAF) in front of it.

The edge adds :data:`~runtime.contract.ORIGIN_VERIFY_HEADER` with a secret's value to every request it
forwards; a request sent straight to the API's own domain cannot know it. Every event API Gateway delivers
must carry the current value (compared in constant time), else the answer is 403 ``forbidden``. Events
whose ``requestContext.domainName`` is under the reserved ``.invalid`` domain (RFC 2606), which no
request through API Gateway can have, are the deployment hook's direct invocations: they need
``lambda:InvokeFunction``, not the edge, and pass. The value is cached for five minutes.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from runtime import aws
from runtime.contract import ORIGIN_VERIFY_HEADER
from runtime.envelope import error_response
from runtime.errors import ErrorCode
from runtime.observability import logger

SECRET_MAX_AGE_SECONDS = 300
REFUSED_MESSAGE = "Call the API through its public domain."


def _direct_invocation(scope: Scope) -> bool:
    event = scope.get("aws.event")
    context = event.get("requestContext") if isinstance(event, Mapping) else None
    domain = context.get("domainName") if isinstance(context, Mapping) else None
    return isinstance(domain, str) and domain.endswith(".invalid")


class EdgeOriginMiddleware:
    def __init__(self, app: ASGIApp, *, secret_name: str) -> None:
        self.app = app
        self.secret_name = secret_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _direct_invocation(scope):
            await self.app(scope, receive, send)
            return
        presented = Headers(scope=scope).get(ORIGIN_VERIFY_HEADER, "")
        expected = aws.secrets_provider().get(self.secret_name, max_age=SECRET_MAX_AGE_SECONDS)
        if (
            isinstance(expected, str)
            and expected
            and hmac.compare_digest(presented.encode(), expected.encode())
        ):
            await self.app(scope, receive, send)
            return
        logger.warning("Request did not come through the edge", extra={"path": scope["path"]})
        response = error_response(scope, status_code=403, code=ErrorCode.FORBIDDEN, message=REFUSED_MESSAGE)
        await response(scope, receive, send)
