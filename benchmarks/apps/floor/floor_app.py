"""``make bench``'s floor: the least a FastAPI + Mangum + botocore function does to serve ``GET /items/{id}``.

No Powertools, no boto3, no validation beyond FastAPI's own; one botocore client made at import. Its
dependencies carry usable (hash-based) bytecode, so its cold start is the import and first-request
cost of FastAPI, Mangum and botocore alone.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from fastapi import FastAPI, HTTPException, Request
from mangum import Mangum

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

dynamodb = cast("DynamoDBClient", botocore.session.get_session().create_client("dynamodb"))
app = FastAPI()


@app.get("/items/{item_id}")
def get_item(item_id: str, request: Request) -> dict[str, Any]:
    sub = request.scope["aws.event"]["requestContext"]["authorizer"]["jwt"]["claims"]["sub"]
    response = dynamodb.get_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pk": {"S": f"USER#{sub}"}, "sk": {"S": f"ITEM#{item_id}"}},
        ConsistentRead=True,
    )
    if "Item" not in response:
        raise HTTPException(status_code=404)
    return {name: next(iter(value.values())) for name, value in response["Item"].items()}


handler = Mangum(app, lifespan="off")
