"""Compact, readable renderings of CloudFormation values for the report (``Table.Arn``, not raw JSON)."""

from __future__ import annotations

import json
from typing import Any

from serverless_fastapi_cdk.toolkit.stack_diff.compare import Absent


def short(value: Any, limit: int = 120) -> str:
    """One-line rendering of a template value: intrinsics as ``Ref``/``X.Attr``, JSON otherwise."""
    text = _render(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _render(value: Any) -> str:
    if isinstance(value, Absent):
        return "(absent)"
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return f"Ref({argument})"
        if function == "Fn::GetAtt":
            parts = argument if isinstance(argument, list) else str(argument).split(".", 1)
            return ".".join(str(part) for part in parts)
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            separator, parts = argument
            if isinstance(parts, list):
                return str(separator).join(_render(part) for part in parts)
        if function == "Fn::Sub":
            return _render(argument[0] if isinstance(argument, list) else argument)
        if function == "Fn::GetStackOutput" and isinstance(argument, dict):
            return f"{argument.get('StackName', '?')}.{argument.get('OutputName', '?')}"
        if function == "Fn::ImportValue":
            return f"Import({_render(argument)})"
    if isinstance(value, list):
        return "[" + ", ".join(_render(item) for item in value) + "]"
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
