"""The items endpoints written the way the FastAPI-on-Lambda tutorials write them: ``make bench``'s baseline.

Everything is created at import: the FastAPI app, a boto3 DynamoDB resource and table, Powertools'
logger, tracer (patching every library it knows) and metrics; ``Mangum(app)`` with its default
lifespan handling. Its dependencies are installed with a plain ``pip install --target`` (timestamp
bytecode) and zipped like any asset. Same table, keys and caller identity as the real service.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from boto3.dynamodb.conditions import Key
from fastapi import FastAPI, HTTPException, Request, Response
from mangum import Mangum
from pydantic import BaseModel

logger = Logger()
tracer = Tracer()
metrics = Metrics()
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
app = FastAPI(title="Items service")


class ItemIn(BaseModel):
    name: str
    description: str | None = None
    price: Decimal | None = None
    tags: list[str] = []


def owner(request: Request) -> str:
    sub: str = request.scope["aws.event"]["requestContext"]["authorizer"]["jwt"]["claims"]["sub"]
    return sub


def key(request: Request, item_id: str) -> dict[str, str]:
    return {"pk": f"USER#{owner(request)}", "sk": f"ITEM#{item_id}"}


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/items", status_code=201)
def create_item(item: ItemIn, request: Request) -> dict[str, Any]:
    item_id = uuid.uuid4().hex
    now = datetime.now(UTC).isoformat()
    record = {"id": item_id, **item.model_dump(exclude_none=True), "version": 1, "created_at": now}
    table.put_item(Item={**key(request, item_id), **record, "updated_at": now})
    metrics.add_metric(name="ItemsCreated", unit=MetricUnit.Count, value=1)
    return record


@app.get("/items")
def list_items(request: Request, limit: int = 20) -> dict[str, Any]:
    response = table.query(
        KeyConditionExpression=Key("pk").eq(f"USER#{owner(request)}") & Key("sk").begins_with("ITEM#"),
        Limit=limit,
    )
    return {"items": response["Items"]}


@app.get("/items/{item_id}")
def get_item(item_id: str, request: Request) -> dict[str, Any]:
    response = table.get_item(Key=key(request, item_id))
    if "Item" not in response:
        raise HTTPException(status_code=404, detail="Item not found")
    return response["Item"]


@app.put("/items/{item_id}")
def replace_item(item_id: str, item: ItemIn, request: Request) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    table.put_item(Item={**key(request, item_id), "id": item_id, **item.model_dump(exclude_none=True)})
    return {"id": item_id, **item.model_dump(), "updated_at": now}


@app.delete("/items/{item_id}", status_code=204)
def delete_item(item_id: str, request: Request) -> Response:
    table.delete_item(Key=key(request, item_id))
    return Response(status_code=204)


asgi_handler = Mangum(app)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response: dict[str, Any] = asgi_handler(event, context)
    return response
