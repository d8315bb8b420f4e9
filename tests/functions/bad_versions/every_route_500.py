"""(a) Every route answers 500: the health model and every repository call raise, as a bad refactor would."""

from typing import Any

from runtime.handler import handler
from runtime.repository import ItemRepository
from runtime.routers import health


def _broken(*_: Any, **__: Any) -> Any:
    raise RuntimeError("broken build: every route fails")


health.Health = _broken  # type: ignore[attr-defined,assignment]
for _name in ("create", "get", "list_page", "replace", "delete"):
    setattr(ItemRepository, _name, _broken)

__all__ = ["handler"]
