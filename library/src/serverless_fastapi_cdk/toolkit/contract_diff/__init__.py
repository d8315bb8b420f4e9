"""What changed between two OpenAPI documents, and whether it breaks a client written against the first.

A small, self-contained API for any service that serves a contract (``make diff`` here, a toolkit's
``diff`` elsewhere): :func:`compare` takes the two documents as dicts and returns a
:class:`ContractDiff` of classified changes; :func:`render_markdown` turns it into a review section. It
imports nothing of a service; its one outside need is a Node with ``api-smart-diff`` in the project's
``node_modules``.
"""

from serverless_fastapi_cdk.toolkit.contract_diff.classify import (
    ContractChange,
    ContractDiff,
    EngineError,
    Severity,
    compare,
)
from serverless_fastapi_cdk.toolkit.contract_diff.markdown import render_markdown

__all__ = ["ContractChange", "ContractDiff", "EngineError", "Severity", "compare", "render_markdown"]
