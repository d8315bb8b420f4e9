"""``/items``: the caller's items. Every route needs a verified caller (see :mod:`runtime.identity`)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import WithJsonSchema

from runtime.contract import METRIC_ITEMS_CREATED, METRIC_ITEMS_DELETED, METRIC_ITEMS_UPDATED
from runtime.cursors import CURSOR_LENGTH, CURSOR_PATTERN, decode_cursor, encode_cursor
from runtime.dependencies import app_settings, item_repository, require_json
from runtime.errors import ItemNotFoundError
from runtime.idempotency import create_once
from runtime.identity import AuthenticatedRoute, bearer_token, caller_id
from runtime.ids import ID_LENGTH, ID_PATTERN, is_item_id
from runtime.observability import count
from runtime.operations import ITEMS_TAG
from runtime.preconditions import IF_MATCH_PATTERN, etag, parse_if_match
from runtime.repository import ItemRepository
from runtime.schemas.errors import ErrorEnvelope
from runtime.schemas.items import Item, ItemPage, ItemWrite
from runtime.settings import Settings
from runtime.signing_key import cursor_signing_key

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error responses, all in the error envelope."""
    always = (401, 422, 500, 503)
    return {
        status: {"model": ErrorEnvelope, "description": HTTPStatus(status).phrase}
        for status in sorted({*statuses, *always})
    }


router = APIRouter(
    prefix="/items", tags=[ITEMS_TAG], route_class=AuthenticatedRoute, dependencies=[Depends(bearer_token)]
)

Caller = Annotated[str, Depends(caller_id)]
Repository = Annotated[ItemRepository, Depends(item_repository)]
AppSettings = Annotated[Settings, Depends(app_settings)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="Makes retries safe: the same key and body return the first response.",
    ),
]
_IF_MATCH_DESCRIPTION = 'The item\'s ETag, or "*".'
_IF_MATCH_FORMAT = WithJsonSchema({"type": "string", "pattern": IF_MATCH_PATTERN})
"""How If-Match is documented; :func:`parse_if_match` reads it (a malformed one is a 400)."""
IfMatchHeader = Annotated[
    str | None, Header(alias="If-Match", description=_IF_MATCH_DESCRIPTION), _IF_MATCH_FORMAT
]
RequiredIfMatchHeader = Annotated[
    str,
    Header(alias="If-Match", description=f"{_IF_MATCH_DESCRIPTION} Without it the answer is 428."),
    _IF_MATCH_FORMAT,
]
_CURSOR_FORMAT = {
    "type": "string",
    "pattern": CURSOR_PATTERN,
    "minLength": CURSOR_LENGTH,
    "maxLength": CURSOR_LENGTH,
}
ItemId = Annotated[
    str,
    Path(
        description="The item's id (a ULID); any other value names no item (404).",
        json_schema_extra={"pattern": ID_PATTERN, "minLength": ID_LENGTH, "maxLength": ID_LENGTH},
    ),
]
ETAG_HEADER = {
    "ETag": {
        "description": "The item's version, for If-Match.",
        "required": True,
        "schema": {"type": "string"},
    }
}


@router.post(
    "",
    status_code=201,
    summary="Create an item",
    dependencies=[Depends(require_json)],
    responses={
        **_errors(400, 409, 413, 415, 422),
        201: {
            "headers": {
                "Location": {
                    "description": "The new item's path.",
                    "required": True,
                    "schema": {"type": "string"},
                },
                **ETAG_HEADER,
                "Idempotent-Replayed": {
                    "description": "With an Idempotency-Key: whether this is the first answer, replayed.",
                    "schema": {"type": "string", "enum": ["true", "false"]},
                },
            }
        },
    },
)
def create_item(
    fields: ItemWrite,
    request: Request,
    response: Response,
    owner: Caller,
    repository: Repository,
    idempotency_key: IdempotencyKey = None,
) -> Item:
    """Creates an item owned by the caller and answers 201 with it, its `Location` and its `ETag`.

    Send an `Idempotency-Key` to make retries safe: a retry with the same key and body answers the first
    response again (`Idempotent-Replayed: true`), the same key with another body is a 422, and a retry
    while the first request is still running is a 409 with `Retry-After`.
    """

    def create() -> Item:
        created = repository.create(owner, fields)
        count(METRIC_ITEMS_CREATED)
        return created

    if idempotency_key is None:
        item = create()
    else:
        outcome = create_once(
            repository,
            owner=owner,
            key=idempotency_key,
            fields=fields,
            create=create,
            lambda_context=request.scope.get("aws.context"),
        )
        item = outcome.item
        response.headers["Idempotent-Replayed"] = "true" if outcome.replayed else "false"
    response.headers["Location"] = f"{request.scope.get('root_path', '')}{router.prefix}/{item.id}"
    response.headers["ETag"] = etag(item.version)
    return item


@router.get("", summary="List the caller's items in creation order", responses=_errors(400, 422))
def list_items(
    owner: Caller,
    repository: Repository,
    settings: AppSettings,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        str | None,
        Query(
            description="`next_cursor` of the previous page, unchanged; anything else: 400 `invalid_cursor`.",
        ),
        WithJsonSchema(_CURSOR_FORMAT),
    ] = None,
) -> ItemPage:
    """One page of the caller's items, oldest first.

    Pass `next_cursor` back as `cursor` for the next page; it is null on the last page. A cursor is
    opaque and bound to its caller: a changed one, or another user's, is a 400 `invalid_cursor`.
    """
    key: bytes | None = None
    after_id: str | None = None
    if cursor is not None:
        key = cursor_signing_key(settings.cursor_secret_name)
        after_id = decode_cursor(cursor, owner=owner, key=key)
    items, more = repository.list_page(owner, limit=limit, after_id=after_id)
    next_cursor = None
    if more:
        key = key or cursor_signing_key(settings.cursor_secret_name)
        next_cursor = encode_cursor(owner=owner, after_id=items[-1].id, key=key)
    return ItemPage(items=items, next_cursor=next_cursor)


@router.get("/{item_id}", summary="Read an item", responses={**_errors(404), 200: {"headers": ETAG_HEADER}})
def get_item(item_id: ItemId, response: Response, owner: Caller, repository: Repository) -> Item:
    """The item and its `ETag`; 404 when the caller has no item of that id."""
    item = repository.get(owner, _existing_id(item_id))
    response.headers["ETag"] = etag(item.version)
    return item


@router.put(
    "/{item_id}",
    summary="Replace an item (If-Match required)",
    dependencies=[Depends(require_json)],
    responses={**_errors(400, 404, 412, 413, 415, 422, 428), 200: {"headers": ETAG_HEADER}},
)
def replace_item(
    item_id: ItemId,
    fields: ItemWrite,
    response: Response,
    owner: Caller,
    repository: Repository,
    if_match: RequiredIfMatchHeader,
) -> Item:
    """Replaces every field of the item (fields left out take their defaults) and bumps its version.

    `If-Match` must carry the `ETag` of the version being replaced (or `*`): 412 when the item changed
    since, 428 without the header. Answers the new item and its new `ETag`.
    """
    item = repository.replace(owner, _existing_id(item_id), fields, parse_if_match(if_match))
    count(METRIC_ITEMS_UPDATED)
    response.headers["ETag"] = etag(item.version)
    return item


@router.delete(
    "/{item_id}",
    status_code=204,
    summary="Delete an item (honours If-Match)",
    responses=_errors(400, 404, 412),
)
def delete_item(
    item_id: ItemId, owner: Caller, repository: Repository, if_match: IfMatchHeader = None
) -> Response:
    """Deletes the item: 204, then 404 for it. With `If-Match`, only the version it names (else 412)."""
    repository.delete(
        owner, _existing_id(item_id), parse_if_match(if_match) if if_match is not None else None
    )
    count(METRIC_ITEMS_DELETED)
    return Response(status_code=204)


def _existing_id(item_id: str) -> str:
    """Ids we never issue cannot name an item: 404 without a read."""
    if not is_item_id(item_id):
        raise ItemNotFoundError
    return item_id
