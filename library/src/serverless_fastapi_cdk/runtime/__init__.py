"""The half of the contract a service imports: what the pattern's alarms and hooks expect of the function.

No CDK, no third-party import: the function's code asset carries this package (``ApiFunction`` adds it
beside the service's own package), and the constructs build their alarms and hooks from the same
values, so the two halves cannot disagree.

- **Metrics.** Publish, in ``POWERTOOLS_METRICS_NAMESPACE``, one datum per response of
  :data:`SERVER_ERRORS` (1 for a 5xx, else 0) and :data:`CLIENT_ERRORS` (1 for a 4xx, else 0), and
  :data:`UNHANDLED_ERRORS` = 1 for each request that ended in an unexpected 500, each with two dimension
  sets: ``{service}`` and ``{service, function_version}`` (see :func:`metric_dimensions`). A metric the
  alarms watch but the function never emits leaves the canary unprotected, silently.
- **Health.** ``GET <health path>`` answers 200 without a token with :func:`health_body`; the hooks
  compare its ``function_version`` with the version being deployed.
- **Caller.** The JWT authorizer's verified claims are in the payload-2.0 event at
  ``requestContext.authorizer.jwt.claims`` (:func:`jwt_claims`, :func:`caller_sub`).

Where an app overrides a name (``ApplicationMetrics``), the pattern sets it in the function's
environment (:data:`ENV_NAMES`) and :func:`metric_names` reads it from there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

UNHANDLED_ERRORS: Final = "UnhandledErrors"
SERVER_ERRORS: Final = "ServerErrors"
CLIENT_ERRORS: Final = "ClientErrors"
SERVICE_DIMENSION: Final = "service"
"""Powertools Metrics' own dimension, valued with ``POWERTOOLS_SERVICE_NAME``."""
VERSION_DIMENSION: Final = "function_version"
"""The second set's dimension, valued with ``AWS_LAMBDA_FUNCTION_VERSION``: the canary's alarms watch only
the version being deployed."""
HEALTH_VERSION_FIELD: Final = "function_version"
"""Field of the health answer holding ``AWS_LAMBDA_FUNCTION_VERSION``."""
HEALTH_STATUS: Final = "ok"

ENV_NAMES: Final = "SERVERLESS_FASTAPI_CDK_METRIC_NAMES"
"""Environment variable set only where the app's names differ from the defaults above:
``unhandled_errors=...,server_errors=...,client_errors=...,version_dimension=...``."""


@dataclass(frozen=True, kw_only=True)
class MetricNames:
    """The names the rollback alarms watch."""

    unhandled_errors: str = UNHANDLED_ERRORS
    server_errors: str = SERVER_ERRORS
    client_errors: str = CLIENT_ERRORS
    service_dimension: str = SERVICE_DIMENSION
    version_dimension: str = VERSION_DIMENSION

    def encode(self) -> str:
        """The :data:`ENV_NAMES` value of these names ("" for the defaults: nothing to set)."""
        if self == MetricNames():
            return ""
        return ",".join(f"{name}={getattr(self, name)}" for name in _FIELDS)


_FIELDS = ("unhandled_errors", "server_errors", "client_errors", "service_dimension", "version_dimension")


def metric_names(environ: Mapping[str, str] = os.environ) -> MetricNames:
    """The names this function's alarms watch: the defaults, or those the pattern set in its environment."""
    encoded = environ.get(ENV_NAMES, "")
    if not encoded:
        return MetricNames()
    pairs = dict(item.split("=", 1) for item in encoded.split(",") if "=" in item)
    return MetricNames(**{name: value for name, value in pairs.items() if name in _FIELDS})


def metric_dimensions(
    service: str, function_version: str | None, names: MetricNames | None = None
) -> list[dict[str, str]]:
    """The dimension sets every watched metric needs: by service, and by service and version."""
    names = names or MetricNames()
    by_service = {names.service_dimension: service}
    if not function_version:
        return [by_service]
    return [by_service, {**by_service, names.version_dimension: function_version}]


def response_metrics(status: int, names: MetricNames | None = None) -> dict[str, int]:
    """The 0/1 data one HTTP response adds: ``{server_errors: 0|1, client_errors: 0|1}``."""
    names = names or MetricNames()
    return {names.client_errors: int(400 <= status < 500), names.server_errors: int(status >= 500)}


def health_body(
    *, function_version: str | None, app_version: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The health answer: ``{"status": "ok", "function_version": ..., "app_version": ..., **extra}``."""
    return {
        "status": HEALTH_STATUS,
        HEALTH_VERSION_FIELD: function_version,
        "app_version": app_version,
        **extra,
    }


def jwt_claims(event: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The claims API Gateway's JWT authorizer verified, from a payload-2.0 event; ``None`` without them.

    Only an event that came through the API's authorizer carries verified claims: a direct invoke can
    write anything here, so do not grant direct invokes to callers you do not trust.
    """
    node: Any = event
    for key in ("requestContext", "authorizer", "jwt", "claims"):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else None


def caller_sub(event: Mapping[str, Any] | None) -> str | None:
    """The caller's ``sub`` claim (a non-blank string), or ``None``."""
    claims = jwt_claims(event)
    sub = claims.get("sub") if claims is not None else None
    return sub if isinstance(sub, str) and sub.strip() else None


__all__ = [
    "CLIENT_ERRORS",
    "ENV_NAMES",
    "HEALTH_STATUS",
    "HEALTH_VERSION_FIELD",
    "SERVER_ERRORS",
    "SERVICE_DIMENSION",
    "UNHANDLED_ERRORS",
    "VERSION_DIMENSION",
    "MetricNames",
    "caller_sub",
    "health_body",
    "jwt_claims",
    "metric_dimensions",
    "metric_names",
    "response_metrics",
]
