"""Idempotent item creation with Powertools' idempotency utility.

The record's key is the caller's ``Idempotency-Key`` header; its fingerprint is the validated body.
A retry with the same key and body replays the stored response and creates nothing; the same key
with another body is a 422 ``idempotency_key_reused``; a retry while the first request is still
running is a 409. Records live in the caller's own partition (see :mod:`runtime.repository`) and
expire through the table's TTL after :data:`IDEMPOTENCY_EXPIRY_SECONDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runtime.aws import is_unavailable
from runtime.errors import IdempotencyInProgressError, IdempotencyKeyReusedError, ServiceUnavailableError
from runtime.observability import logger
from runtime.repository import CREATE_IDEMPOTENCY_PREFIX, ItemRepository
from runtime.schemas.items import Item, ItemWrite

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

IDEMPOTENCY_EXPIRY_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class CreateOutcome:
    item: Item
    replayed: bool
    """True when the item was created by an earlier request with the same key."""


def create_once(
    repository: ItemRepository,
    *,
    owner: str,
    key: str,
    fields: ItemWrite,
    create: Callable[[], Item],
    lambda_context: LambdaContext | None,
) -> CreateOutcome:
    """Run ``create`` at most once per (caller, key); later calls replay its result."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=IDEMPOTENCY_EXPIRY_SECONDS,
        hash_function="sha256",
        response_hook=_mark_replayed,
    )
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="request",
        persistence_store=repository.idempotency_store(owner),
        config=config,
        key_prefix=CREATE_IDEMPOTENCY_PREFIX,
    )
    def create_and_record(*, request: dict[str, Any]) -> dict[str, Any]:
        return {"item": create().model_dump(mode="json")}

    try:
        outcome = create_and_record(request={"key": key, "body": fields.model_dump(mode="json")})
    except IdempotencyValidationError as error:
        raise IdempotencyKeyReusedError from error
    except IdempotencyAlreadyInProgressError as error:
        raise IdempotencyInProgressError from error
    except IdempotencyPersistenceLayerError as error:
        if error.__cause__ is None or not is_unavailable(error.__cause__):
            raise
        logger.warning("Idempotency store unavailable", extra={"dependency": "dynamodb", "error": str(error)})
        raise ServiceUnavailableError from error
    return CreateOutcome(item=Item.model_validate(outcome["item"]), replayed=bool(outcome.get("replayed")))


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> Any:
    """Powertools calls this instead of the function when it replays a stored response."""
    return {**response, "replayed": True}
