"""The names the constructs share with the runtime: ``runtime/contract.py``, wherever it is installed.

In this repository it is the runtime's own module; the wheel ships the same file as
``cdk_app._runtime_contract`` so that installing the library adds no top-level ``runtime`` package.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runtime import contract
elif importlib.util.find_spec(f"{__package__}._runtime_contract") is not None:
    from cdk_app import _runtime_contract as contract
else:
    from runtime import contract

__all__ = ["contract"]
