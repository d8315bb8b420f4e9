"""The control: the runtime as it is."""

from runtime.handler import handler

__all__ = ["handler"]
