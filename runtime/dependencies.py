"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

from email.message import Message

from fastapi import Request

from runtime import aws
from runtime.errors import UnsupportedMediaTypeError
from runtime.repository import ItemRepository
from runtime.settings import Settings


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def item_repository(request: Request) -> ItemRepository:
    return ItemRepository(aws.dynamodb(), app_settings(request).table_name)


def require_json(request: Request) -> None:
    """A 415 unless the body is declared as JSON (``application/json`` or ``application/*+json``)."""
    header = Message()
    header["content-type"] = request.headers.get("content-type", "")
    subtype = header.get_content_subtype()
    if header.get_content_maintype() != "application" or not (subtype == "json" or subtype.endswith("+json")):
        raise UnsupportedMediaTypeError
