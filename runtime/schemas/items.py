"""Bodies of the items routes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_serializer,
    field_validator,
)
from pydantic_core import PydanticCustomError

MAX_TAGS = 20
_CENT = Decimal("0.01")

_NO_CONTROL = r"[^\x00-\x1f\x7f-\x9f]*"
"""Text without Unicode's control characters (category Cc: NUL, escape, the C1 controls...)."""
_NO_CONTROL_BUT_TAB_AND_LINE_BREAKS = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*"
_VISIBLE = r"[^\s\x00-\x1f\x7f-\x9f]"
_TEXT = rf"^{_NO_CONTROL}{_VISIBLE}{_NO_CONTROL}$"
"""At least one visible character and no control character."""

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_TEXT)]
Description = Annotated[
    str, StringConstraints(max_length=2000, pattern=rf"^{_NO_CONTROL_BUT_TAB_AND_LINE_BREAKS}$")
]
MAX_PRICE = Decimal("9999999999.99")
PRICE_TEXT = r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2}0*)?$"
"""A price sent as a string: at most 10 digits before the point (no leading zero), at most 2 after
(and any trailing zeros)."""
_DECIMAL_DIGITS = r"(0|[1-9][0-9]*)(\.[0-9]+)?"
_PRICE_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": float(MAX_PRICE), "multipleOf": 0.01},
        {"type": "string", "pattern": PRICE_TEXT},
    ]
}
"""The price as the OpenAPI document states it: what :func:`_price_text_is_canonical` and the
constraints below accept, and nothing else."""
Price = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False),
    WithJsonSchema(_PRICE_SCHEMA),
]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=_TEXT)]


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, e.g. ``2025-01-31T09:15:00.250Z``: what the table stores."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_in_milliseconds() -> datetime:
    """The current time at the precision timestamps are stored with."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class ItemWrite(BaseModel):
    """What a client sends to create or fully replace an item."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="1 to 200 characters, not only blanks, no control characters.")
    description: Description | None = Field(
        default=None, description="Up to 2000 characters; no control characters but tab and line breaks."
    )
    price: Price | None = Field(
        default=None, description="At least 0, at most two decimals; a JSON number or a decimal string."
    )
    tags: list[Tag] = Field(
        default_factory=list,
        max_length=MAX_TAGS,
        json_schema_extra={"uniqueItems": True},
        description="Up to 20 unique tags of 1 to 50 characters, no control characters.",
    )

    @field_validator("price", mode="before")
    @classmethod
    def _price_text_is_canonical(cls, price: object) -> object:
        """Decimal reads ``"1e2"``, ``"+5"``, ``" 5"`` or ``"0005"`` too; the API takes plain digits only.

        Digits with too many decimals or whole digits are left to the constraints, whose errors say so.
        """
        if isinstance(price, str) and not re.fullmatch(_DECIMAL_DIGITS, price):
            raise PydanticCustomError(
                "price_format", 'A price string is digits with at most two decimals, e.g. "9.90".'
            )
        return price

    @field_validator("price")
    @classmethod
    def _to_cents(cls, price: Decimal | None) -> Decimal | None:
        return None if price is None else price.quantize(_CENT)

    @field_validator("tags")
    @classmethod
    def _unique(cls, tags: list[str]) -> list[str]:
        if len(set(tags)) != len(tags):
            raise ValueError("tags must be unique")
        return tags


class Item(BaseModel):
    """An item as stored, owned by the caller."""

    id: str = Field(description="Time-ordered id (ULID).")
    name: str
    description: str | None
    price: Decimal | None = Field(description='Decimal string with two decimals, e.g. `"9.90"`.')
    tags: list[str]
    version: int = Field(description="Revision number; the ETag is this number in quotes.")
    created_at: datetime
    updated_at: datetime

    @field_serializer("price")
    def _price_text(self, price: Decimal | None) -> str | None:
        return None if price is None else f"{price:.2f}"

    @field_serializer("created_at", "updated_at")
    def _timestamp_text(self, moment: datetime) -> str:
        return format_timestamp(moment)


class ItemPage(BaseModel):
    items: list[Item]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )
