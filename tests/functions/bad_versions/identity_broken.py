"""(b) Every authenticated route answers 401: reading the caller's identity is broken (a wrong claim path)."""

from fastapi import Request

from runtime import identity
from runtime.errors import UnauthorizedError
from runtime.handler import handler


def _caller_id(request: Request) -> str:
    raise UnauthorizedError


identity.caller_id = _caller_id

__all__ = ["handler"]
