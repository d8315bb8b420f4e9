"""Body of the health route."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok"]
    function_version: str | None = Field(
        description="Lambda function version serving the request (null outside Lambda)."
    )
    app_version: str | None = Field(description="Build version of the service, when deployed with one.")
