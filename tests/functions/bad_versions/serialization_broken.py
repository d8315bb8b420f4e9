"""(d) Serialization broken: items are answered with 200/201 but timestamps are epoch numbers as text,
violating the schema's ISO 8601 (a changed serializer that no route test caught)."""

from datetime import datetime

from runtime.handler import handler
from runtime.schemas import items


def _epoch_text(moment: datetime) -> str:
    return str(int(moment.timestamp()))


items.format_timestamp = _epoch_text

__all__ = ["handler"]
