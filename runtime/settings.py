"""Service settings, read once from the environment.

Names of the variables come from :mod:`runtime.contract`. ``POWERTOOLS_METRICS_NAMESPACE`` is read
by Powertools, not by the service, but it is required here: without it Powertools refuses to flush
metrics, so every write would fail after DynamoDB committed it. The endpoint of AWS services is not a
setting: boto3 honours the standard ``AWS_ENDPOINT_URL`` variable, which local runs and tests point
at the emulator and which is never set in Lambda.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from runtime import contract

MAX_REQUEST_BODY_BYTES = 64 * 1024
"""Largest request body accepted; bigger bodies get a 413. The largest valid item is about 40 KiB."""

RETRY_AFTER_SECONDS = 1
"""Value of ``Retry-After`` on 503 responses."""


class SettingsError(RuntimeError):
    """The environment does not configure the service; raised at cold start, before any request."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    table_name: str
    """DynamoDB table holding items and idempotency records."""
    cursor_secret_name: str
    """Secrets Manager secret (name or ARN) whose SecretString is the cursor HMAC key."""
    enable_docs: bool = False
    """Serve ``/docs`` and ``/openapi.json``."""
    app_version: str | None = None
    """Build version of the service, reported by the health route."""
    function_version: str | None = None
    """Lambda function version (``AWS_LAMBDA_FUNCTION_VERSION``), reported by the health route."""
    origin_secret_name: str | None = None
    """Secret the edge sends as :data:`~runtime.contract.ORIGIN_VERIFY_HEADER`; ``None``: no edge."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """The settings ``environ`` gives; :class:`SettingsError` naming the first variable missing."""
        _required(environ, contract.ENV_METRICS_NAMESPACE)
        return cls(
            table_name=_required(environ, contract.ENV_TABLE_NAME),
            cursor_secret_name=_required(environ, contract.ENV_CURSOR_SECRET_NAME),
            enable_docs=_flag(environ, contract.ENV_ENABLE_DOCS),
            app_version=environ.get(contract.ENV_APP_VERSION) or None,
            function_version=environ.get("AWS_LAMBDA_FUNCTION_VERSION") or None,
            origin_secret_name=environ.get(contract.ENV_ORIGIN_SECRET_NAME, "").strip() or None,
        )


@cache
def get_settings() -> Settings:
    """The settings of this process, read from ``os.environ`` on first use."""
    return Settings.from_environ(os.environ)


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} must be set")
    return value


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "false").strip().lower()
    if value not in {"true", "false"}:
        raise SettingsError(f"environment variable {name} must be 'true' or 'false', not {value!r}")
    return value == "true"
