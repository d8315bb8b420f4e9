"""(f) Import error at INIT: the handler module needs a package the layer does not ship."""

import missing_dependency_of_the_new_version  # type: ignore[import-not-found]  # noqa: F401

from runtime.handler import handler

__all__ = ["handler"]
