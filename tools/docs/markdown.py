"""Plain text made safe for a Markdown table cell."""

from __future__ import annotations


def plain_cell(text: str) -> str:
    """``text`` as a table cell shows it: ``|`` would end the cell and ``<name>`` would be read as HTML."""
    return text.replace("<", "&lt;").replace("|", "\\|")
