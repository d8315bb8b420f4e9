"""The floor's ``GET /items/{id}`` traced, for ``make bench``'s tracing variants.

The function's ``BENCH_TRACER`` variable picks the tracer, which wraps what the project traces: the
Lambda handler (the invocation's subsegment), the function that reads the item (the repository
call's) and the botocore client (the DynamoDB call's). Everything else is the floor's
(``apps/floor/floor_app.py``), so a variant's cold path minus the floor's is what its tracing costs.

- ``xray-sdk``: the X-Ray SDK for Python, set up as Powertools' ``Tracer`` set it up when the runtime
  traced with it (botocore patched, ``## handler`` annotated ``ColdStart``, ``## <function>`` per
  repository call); the SDK alone, not Powertools, so that the cost is the SDK's.
- ``project``: the project's own tracer, ``runtime/tracing.py`` from its function code, looked up by
  name so that this module type-checks in a tree without it (``make bench`` then leaves it out).
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from fastapi import FastAPI, HTTPException, Request
from mangum import Mangum

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
Read = Callable[[str, str], dict[str, Any] | None]


@dataclass(frozen=True)
class Tracing:
    """Where a tracer hooks in."""

    handler: Callable[[Handler], Handler]
    call: Callable[[Read], Read]
    client: Callable[[Any], None]


def xray_sdk() -> Tracing:
    from aws_xray_sdk.core import patch, xray_recorder

    patch(["botocore"])
    cold_start = [True]

    def trace_handler(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def traced(event: dict[str, Any], context: Any) -> dict[str, Any]:
            first, cold_start[0] = cold_start[0], False
            with xray_recorder.in_subsegment("## handler") as subsegment:
                subsegment.put_annotation("ColdStart", first)
                return handler(event, context)

        return traced

    def trace_call(function: Read) -> Read:
        traced: Read = xray_recorder.capture(f"## {function.__name__}")(function)
        return traced

    return Tracing(handler=trace_handler, call=trace_call, client=lambda client: None)


def project() -> Tracing:
    tracer = importlib.import_module("runtime.tracing").Tracer()
    return Tracing(
        handler=tracer.capture_lambda_handler, call=tracer.capture_method, client=tracer.instrument
    )


TRACERS: dict[str, Callable[[], Tracing]] = {"xray-sdk": xray_sdk, "project": project}


def build(tracing: Tracing) -> Handler:
    """The floor's handler with the tracer hooked in where the project traces."""
    client = botocore.session.get_session().create_client("dynamodb")
    tracing.client(client)
    dynamodb = cast("DynamoDBClient", client)
    app = FastAPI()

    @tracing.call
    def read_item(sub: str, item_id: str) -> dict[str, Any] | None:
        response = dynamodb.get_item(
            TableName=os.environ["TABLE_NAME"],
            Key={"pk": {"S": f"USER#{sub}"}, "sk": {"S": f"ITEM#{item_id}"}},
            ConsistentRead=True,
        )
        return response.get("Item")

    @app.get("/items/{item_id}")
    def get_item(item_id: str, request: Request) -> dict[str, Any]:
        sub = request.scope["aws.event"]["requestContext"]["authorizer"]["jwt"]["claims"]["sub"]
        item = read_item(sub, item_id)
        if item is None:
            raise HTTPException(status_code=404)
        return {name: next(iter(value.values())) for name, value in item.items()}

    return tracing.handler(Mangum(app, lifespan="off"))


handler = build(TRACERS[os.environ["BENCH_TRACER"]]())
