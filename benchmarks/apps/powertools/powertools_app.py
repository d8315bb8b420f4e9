"""``make bench``'s Powertools variant: the floor's ``GET /items/{id}`` without FastAPI or Mangum.

Powertools' event handler (``APIGatewayHttpResolver``) routes the API Gateway payload 2.0 event itself;
one botocore client made at import, as in the floor, and the same table, keys and caller identity.
Its dependencies carry usable (hash-based) bytecode, so next to the floor it shows what FastAPI and
Mangum cost a cold start.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

dynamodb = cast("DynamoDBClient", botocore.session.get_session().create_client("dynamodb"))
app = APIGatewayHttpResolver()


@app.get("/items/<item_id>")
def get_item(item_id: str) -> dict[str, Any]:
    sub = app.current_event.request_context.authorizer.jwt_claim["sub"]
    response = dynamodb.get_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pk": {"S": f"USER#{sub}"}, "sk": {"S": f"ITEM#{item_id}"}},
        ConsistentRead=True,
    )
    if "Item" not in response:
        raise NotFoundError
    return {name: next(iter(value.values())) for name, value in response["Item"].items()}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
