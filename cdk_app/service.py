"""The items service as the constructs see it: each of its facts once, built from ``runtime/contract.py``.

The constructs of ``serverless_fastapi_cdk`` know no service; the stacks hand them these facts. Nothing here
differs between environments (that is ``config.py``).
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from cdk_app import items_round_trip
from runtime import contract
from serverless_fastapi_cdk.canary_deployment import ApplicationMetrics, DeploymentChecks
from serverless_fastapi_cdk.http_api import DEFAULT_PROTECTED_ROUTES, CorsSettings

NAME = "items"
"""Prefix of the service's resource names (``items-<env>``)."""
HANDLER = contract.HANDLER
HEALTH_PATH = contract.HEALTH_PATH

METRICS = ApplicationMetrics(namespace="ItemsService", service_name="items-api")
"""``POWERTOOLS_METRICS_NAMESPACE`` and ``POWERTOOLS_SERVICE_NAME`` of the function; the metrics the rollback
alarms watch are the library's runtime half's, which the runtime imports (``runtime/observability.py``)."""

TABLE_OPERATIONS = ("DeleteItem", "GetItem", "PutItem", "Query", "UpdateItem")
"""Every DynamoDB operation the runtime performs on the table: its repository and Powertools' idempotency
records (no scans, batches or transactions). The function's IAM actions and the throttling alarm's
``Operation`` dimensions both come from this one list."""
SECRET_ACTIONS = ("secretsmanager:GetSecretValue",)
"""What the runtime does with the cursor-signing secret."""

AWS_SERVICES = ("DynamoDB", "Secrets Manager")
"""The AWS services the runtime calls (X-Ray traces aside), by name: the scanners' reasons name them."""
SDK_SERVICES = contract.AWS_SERVICES
"""The same services by botocore name: the dependency layer keeps only their SDK models."""
ENVIRONMENT_CONTENTS = (
    "names, ARNs and flags, never secret values (secrets are read from Secrets Manager at run time)"
)
"""What the function's environment variables hold."""
RUNTIME_REASON = (
    "Python 3.13 is the runtime the service and its lock file target (runtime/requirements.txt is "
    "resolved and the layer's bytecode compiled for 3.13); moving to a newer runtime is a deliberate "
    "upgrade of the runtime, its lock and this stack together"
)
"""Why the function is not on the newest Python runtime (cdk-nag AwsSolutions-L1)."""

PUBLIC_ROUTES = MappingProxyType(
    {
        f"GET {HEALTH_PATH}": (
            "liveness probe for load balancers, uptime checks and smoke tests, which hold no token"
        ),
    }
)
"""Routes served without a token, each with the reason (the acknowledgement of cdk-nag AwsSolutions-APIG4)."""
DOCS_ROUTES = MappingProxyType(
    {
        f"GET {contract.DOCS_PATH}": (
            "interactive API documentation, only where EnvironmentConfig.enable_docs is set (not prod)"
        ),
        f"GET {contract.DOCS_ASSETS_PATH}/{{name}}": (
            "Swagger UI's script and stylesheet for /docs, only where EnvironmentConfig.enable_docs is set"
        ),
        f"GET {contract.OPENAPI_PATH}": (
            "the OpenAPI document behind /docs, only where EnvironmentConfig.enable_docs is set"
        ),
    }
)
"""Public routes of the interactive documentation, where an environment serves it."""
PROTECTED_ROUTES = DEFAULT_PROTECTED_ROUTES
"""Every other path needs a token: the runtime's routes and anything unknown, one route per method but
``OPTIONS``, so that API Gateway answers browsers' CORS preflights itself (docs/aws-fidelity.md)."""

CORS_ALLOW_HEADERS = ("authorization", "content-type", "idempotency-key", "if-match")
"""Request headers browsers may send: the token, JSON bodies, Idempotency-Key and If-Match."""
CORS_EXPOSE_HEADERS = ("etag", "location", "idempotent-replayed")
"""Response headers browser code may read: the runtime's ETag, Location and replay marker."""

DEPLOYMENT_CHECKS = DeploymentChecks(
    health_path=HEALTH_PATH,
    version_field=contract.HEALTH_FUNCTION_VERSION_FIELD,
    service_check=Path(items_round_trip.__file__),
    service_check_calls=items_round_trip.CALLS,
)
"""The hooks' health check, then the items round trip."""


def cors_for(*origins: str) -> CorsSettings:
    """Browser access for ``origins`` with the headers the service reads and writes."""
    return CorsSettings(
        allow_origins=origins, allow_headers=CORS_ALLOW_HEADERS, expose_headers=CORS_EXPOSE_HEADERS
    )


def environment(
    *, table_name: str, cursor_secret_arn: str, enable_docs: bool, app_version: str
) -> dict[str, str]:
    """The runtime's environment variables (:mod:`runtime.settings` reads them)."""
    return {
        contract.ENV_TABLE_NAME: table_name,
        contract.ENV_CURSOR_SECRET_NAME: cursor_secret_arn,
        contract.ENV_ENABLE_DOCS: "true" if enable_docs else "false",
        contract.ENV_APP_VERSION: app_version,
    }


def layer_exclude(*, enable_docs: bool) -> tuple[str, ...]:
    """What the layer leaves out: what the runtime never imports, and Swagger UI where docs are off."""
    return (*contract.LAYER_EXCLUDE, *(() if enable_docs else contract.DOCS_LAYER_ASSETS))
