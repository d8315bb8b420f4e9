"""``GET /health``: liveness and the deployed version, without touching DynamoDB."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from runtime.contract import HEALTH_PATH
from runtime.dependencies import app_settings
from runtime.schemas.health import Health
from runtime.settings import Settings
from serverless_fastapi_cdk.runtime import health_body

router = APIRouter(tags=["health"])


@router.get(HEALTH_PATH, summary="Service health and deployed version")
def health(settings: Annotated[Settings, Depends(app_settings)], response: Response) -> Health:
    response.headers["Cache-Control"] = "no-store"
    return Health(**health_body(function_version=settings.function_version, app_version=settings.app_version))
