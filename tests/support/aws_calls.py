"""Observe the AWS calls code under test makes, through botocore's ``after-call`` hook."""

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
