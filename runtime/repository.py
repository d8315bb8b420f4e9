"""All DynamoDB access of the service, in the single table named by the settings.

Key design (attribute names from :mod:`runtime.contract`):

=============================  ==============================================  ==================
item                           partition key                                   sort key
=============================  ==============================================  ==================
an item                        ``USER#<sub>``                                  ``ITEM#<ulid>``
an idempotency record          ``USER#<sub>``                                  ``IDEMPOTENCY#...``
=============================  ==============================================  ==================

Every operation names the caller's partition, so no request can reach another user's data; listing
is a Query on ``begins_with(sk, "ITEM#")``, in ULID (creation) order. Writes are conditional:
an update or delete applies only to the revision named by If-Match, checked by DynamoDB itself.
Throttling and unreachable endpoints become :class:`~runtime.errors.ServiceUnavailableError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from runtime.aws import is_unavailable
from runtime.contract import TABLE_PARTITION_KEY, TABLE_SORT_KEY, TABLE_TTL_ATTRIBUTE
from runtime.errors import ItemNotFoundError, PreconditionFailedError, ServiceUnavailableError
from runtime.ids import new_item_id
from runtime.observability import logger, tracer
from runtime.schemas.items import Item, ItemWrite, format_timestamp, now_in_milliseconds

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, DeleteItemInputTypeDef, QueryInputTypeDef

    from runtime.preconditions import IfMatch

USER_PREFIX = "USER#"
ITEM_PREFIX = "ITEM#"
CREATE_IDEMPOTENCY_PREFIX = "IDEMPOTENCY#create-item"
"""Sort-key prefix of the idempotency records of item creation (Powertools appends ``#<hash>``)."""

_CONDITION_FAILED = "ConditionalCheckFailedException"


class ItemRepository:
    """The caller-scoped item store; ``owner`` is always the caller's verified ``sub``."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @tracer.capture_method
    def create(self, owner: str, fields: ItemWrite) -> Item:
        now = now_in_milliseconds()
        item = Item(id=new_item_id(), **fields.model_dump(), version=1, created_at=now, updated_at=now)
        with _dynamodb_errors():
            self._client.put_item(
                TableName=self._table,
                Item=_to_attributes(owner, item),
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": TABLE_PARTITION_KEY},
            )
        return item

    @tracer.capture_method
    def get(self, owner: str, item_id: str) -> Item:
        with _dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=_key(owner, item_id), ConsistentRead=True
            )
        if "Item" not in response:
            raise ItemNotFoundError
        return _from_attributes(response["Item"])

    @tracer.capture_method
    def list_page(self, owner: str, *, limit: int, after_id: str | None) -> tuple[list[Item], bool]:
        """Up to ``limit`` items after ``after_id``, and whether more follow.

        DynamoDB stops a Query at 1 MB of data; this keeps querying until the page is full. It asks
        for one item more than the page so that the last page is known to be the last.
        """
        found: list[dict[str, AttributeValueTypeDef]] = []
        start = _key(owner, after_id) if after_id else None
        while True:
            request: QueryInputTypeDef = {
                "TableName": self._table,
                "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
                "ExpressionAttributeNames": {"#pk": TABLE_PARTITION_KEY, "#sk": TABLE_SORT_KEY},
                "ExpressionAttributeValues": {
                    ":pk": {"S": partition_key(owner)},
                    ":prefix": {"S": ITEM_PREFIX},
                },
                "Limit": limit + 1 - len(found),
                "ConsistentRead": True,
            }
            if start:
                request["ExclusiveStartKey"] = start
            with _dynamodb_errors():
                response = self._client.query(**request)
            found.extend(response["Items"])
            start = response.get("LastEvaluatedKey")
            if len(found) > limit or start is None:
                return [_from_attributes(attributes) for attributes in found[:limit]], len(found) > limit

    @tracer.capture_method
    def replace(self, owner: str, item_id: str, fields: ItemWrite, if_match: IfMatch) -> Item:
        """Replace the writable fields of the revision ``if_match`` names, as one conditional write."""
        self._refuse_impossible_match(owner, item_id, if_match)
        names = {"#pk": TABLE_PARTITION_KEY, "#version": "version", "#updated_at": "updated_at"}
        values: dict[str, AttributeValueTypeDef] = {
            ":one": {"N": "1"},
            ":updated_at": {"S": format_timestamp(now_in_milliseconds())},
        }
        assignments = ["#version = #version + :one", "#updated_at = :updated_at"]
        removals = []
        for name, value in _field_attributes(fields).items():
            names[f"#{name}"] = name
            if value is None:
                removals.append(f"#{name}")
            else:
                values[f":{name}"] = value
                assignments.append(f"#{name} = :{name}")
        condition = _version_condition(if_match, values)
        update = "SET " + ", ".join(assignments) + (" REMOVE " + ", ".join(removals) if removals else "")
        with _dynamodb_errors(), _condition_failures():
            response = self._client.update_item(
                TableName=self._table,
                Key=_key(owner, item_id),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        return _from_attributes(response["Attributes"])

    @tracer.capture_method
    def delete(self, owner: str, item_id: str, if_match: IfMatch | None) -> None:
        """Delete the item, or only the revision ``if_match`` names when given."""
        values: dict[str, AttributeValueTypeDef] = {}
        if if_match is not None:
            self._refuse_impossible_match(owner, item_id, if_match)
            condition = _version_condition(if_match, values)
        else:
            condition = "attribute_exists(#pk)"
        request: DeleteItemInputTypeDef = {
            "TableName": self._table,
            "Key": _key(owner, item_id),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#pk": TABLE_PARTITION_KEY},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if values:
            request["ExpressionAttributeNames"] = {"#pk": TABLE_PARTITION_KEY, "#version": "version"}
            request["ExpressionAttributeValues"] = values
        with _dynamodb_errors(), _condition_failures():
            self._client.delete_item(**request)

    def idempotency_store(self, owner: str) -> DynamoDBPersistenceLayer:
        """Powertools' persistence layer, keeping idempotency records in the caller's partition."""
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        return DynamoDBPersistenceLayer(
            table_name=self._table,
            key_attr=TABLE_PARTITION_KEY,
            sort_key_attr=TABLE_SORT_KEY,
            static_pk_value=partition_key(owner),
            expiry_attr=TABLE_TTL_ATTRIBUTE,
            boto3_client=self._client,
        )

    def _refuse_impossible_match(self, owner: str, item_id: str, if_match: IfMatch) -> None:
        """An If-Match naming no revision of ours can only fail: 404 if the item is gone, else 412."""
        if if_match.versions is not None and not if_match.versions:
            self.get(owner, item_id)
            raise PreconditionFailedError


def partition_key(owner: str) -> str:
    return f"{USER_PREFIX}{owner}"


def _key(owner: str, item_id: str) -> dict[str, AttributeValueTypeDef]:
    return {
        TABLE_PARTITION_KEY: {"S": partition_key(owner)},
        TABLE_SORT_KEY: {"S": f"{ITEM_PREFIX}{item_id}"},
    }


def _version_condition(if_match: IfMatch, values: dict[str, AttributeValueTypeDef]) -> str:
    """The write condition for ``if_match``, adding its placeholder values to ``values``."""
    if if_match.versions is None:
        return "attribute_exists(#pk)"
    placeholders = []
    for index, version in enumerate(sorted(if_match.versions)):
        values[f":v{index}"] = {"N": str(version)}
        placeholders.append(f":v{index}")
    return f"attribute_exists(#pk) AND #version IN ({', '.join(placeholders)})"


@contextmanager
def _dynamodb_errors() -> Iterator[None]:
    try:
        yield
    except (ClientError, BotocoreConnectionError, HTTPClientError) as error:
        if not is_unavailable(error):
            raise
        logger.warning("DynamoDB unavailable", extra={"dependency": "dynamodb", "error": str(error)})
        raise ServiceUnavailableError from error


@contextmanager
def _condition_failures() -> Iterator[None]:
    """Map a failed write condition to 412 when the item exists (DynamoDB returned it), else 404."""
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != _CONDITION_FAILED:
            raise
        if "Item" in error.response:
            raise PreconditionFailedError from error
        raise ItemNotFoundError from error


def _field_attributes(fields: ItemWrite | Item) -> dict[str, AttributeValueTypeDef | None]:
    """The writable fields as DynamoDB values; None marks an absent optional field."""
    return {
        "name": {"S": fields.name},
        "description": None if fields.description is None else {"S": fields.description},
        "price": None if fields.price is None else {"N": str(fields.price)},
        "tags": {"L": [{"S": tag} for tag in fields.tags]},
    }


def _to_attributes(owner: str, item: Item) -> dict[str, AttributeValueTypeDef]:
    attributes = {name: value for name, value in _field_attributes(item).items() if value is not None}
    return {
        **_key(owner, item.id),
        "id": {"S": item.id},
        **attributes,
        "version": {"N": str(item.version)},
        "created_at": {"S": format_timestamp(item.created_at)},
        "updated_at": {"S": format_timestamp(item.updated_at)},
    }


def _from_attributes(attributes: Mapping[str, AttributeValueTypeDef]) -> Item:
    values: dict[str, Any] = {
        "id": attributes["id"]["S"],
        "name": attributes["name"]["S"],
        "description": attributes["description"]["S"] if "description" in attributes else None,
        "price": Decimal(attributes["price"]["N"]) if "price" in attributes else None,
        "tags": [tag["S"] for tag in attributes["tags"]["L"]],
        "version": int(attributes["version"]["N"]),
        "created_at": attributes["created_at"]["S"],
        "updated_at": attributes["updated_at"]["S"],
    }
    return Item.model_validate(values)
