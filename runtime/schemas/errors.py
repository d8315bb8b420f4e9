"""The error envelope every error response uses."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    field: str = Field(description="Where the bad value is, e.g. `body.name` or `query.limit`.")
    message: str
    type: str = Field(description="Machine-readable reason, e.g. `string_too_long`.")


class ErrorBody(BaseModel):
    code: str = Field(description="Machine-readable error code.")
    message: str = Field(description="What went wrong, for people.")
    request_id: str = Field(description="API Gateway request id; quote it when reporting a problem.")
    fields: list[FieldError] | None = Field(
        default=None, description="The offending fields (validation errors only)."
    )


class ErrorEnvelope(BaseModel):
    error: ErrorBody
