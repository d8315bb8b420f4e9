"""Fault injection for AWS calls through botocore's event hooks.

This is the one stub of the test suites: the emulator cannot be told to throttle, so a hook on
``before-send`` answers chosen calls with the error response AWS would send. Everything after the
HTTP exchange is real: botocore parses the error and applies its retry policy, and the runtime
handles the result as it would in AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.client import BaseClient
from botocore.compat import HTTPHeaders

_JSON_PROTOCOL_PREFIX = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810#",
    "secretsmanager": "",
}


@dataclass
class Fault:
    """How many calls the fault answered so far."""

    calls: int = 0


class _Body:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


@contextmanager
def aws_error(
    client: BaseClient,
    operation: str,
    *,
    code: str,
    status: int = 400,
    times: int | None = None,
    when: Callable[[AWSPreparedRequest], bool] | None = None,
) -> Iterator[Fault]:
    """Answer ``operation`` (e.g. ``"Query"``) on ``client`` with the AWS error ``code``.

    With ``times``, only the first ``times`` calls fail and later ones reach the emulator; with
    ``when``, only the calls whose prepared request it accepts.
    """
    service = client.meta.service_model.endpoint_prefix
    event_name = f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    fault = Fault()
    error_body = json.dumps(
        {"__type": f"{_JSON_PROTOCOL_PREFIX.get(service, '')}{code}", "message": f"injected {code}"}
    ).encode()

    def respond(request: AWSPreparedRequest, **_: Any) -> Any:  # an AWSResponse, or None to send

        if (times is not None and fault.calls >= times) or (when is not None and not when(request)):
            return None
        fault.calls += 1
        headers = HTTPHeaders()
        headers["content-type"] = "application/x-amz-json-1.0"
        headers["x-amzn-requestid"] = f"fault-{fault.calls}"
        return AWSResponse(request.url, status, headers, _Body(error_body))

    unique_id = f"tests.support.faults.{id(fault)}"
    client.meta.events.register(event_name, respond, unique_id=unique_id)
    try:
        yield fault
    finally:
        client.meta.events.unregister(event_name, unique_id=unique_id)
