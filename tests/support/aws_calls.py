"""Observe the AWS calls code under test makes, through botocore's before-call and after-call events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient


@contextmanager
def recorded_responses(client: BaseClient, operation: str) -> Iterator[list[dict[str, Any]]]:
    """The parsed responses of every ``operation`` call ``client`` makes during the block."""
    event_name = f"after-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    responses: list[dict[str, Any]] = []

    def record(parsed: dict[str, Any], **_: Any) -> None:
        responses.append(parsed)

    unique_id = f"tests.support.aws_calls.{id(responses)}"
    client.meta.events.register(event_name, record, unique_id=unique_id)
    try:
        yield responses
    finally:
        client.meta.events.unregister(event_name, unique_id=unique_id)


@contextmanager
def recorded_operations(client: BaseClient) -> Iterator[list[str]]:
    """The name of every operation ``client`` calls during the block, in order (``GetItem``, ``Query``...)."""
    event_name = f"before-call.{client.meta.service_model.service_id.hyphenize()}"
    operations: list[str] = []

    def record(model: Any, **_: Any) -> None:
        operations.append(model.name)

    unique_id = f"tests.support.aws_calls.{id(operations)}"
    client.meta.events.register(event_name, record, unique_id=unique_id)
    try:
        yield operations
    finally:
        client.meta.events.unregister(event_name, unique_id=unique_id)
