"""What every props type of the library shares: one error type, raised when a prop cannot work."""

from __future__ import annotations


class PropsError(ValueError):
    """A prop, or a combination of props, that cannot be deployed; the message names the field."""


def require(condition: bool, where: str, message: str) -> None:
    """Raise :class:`PropsError` ``"<where>: <message>"`` unless ``condition`` holds."""
    if not condition:
        raise PropsError(f"{where}: {message}")
