"""Names shared by the runtime and the infrastructure that deploys it.

The CDK constructs import these so that the table's key schema, the environment variables the
function reads and the metric names the alarms watch have exactly one definition. This module imports
nothing but the construct library's runtime half (no CDK): it is loaded by the CDK app, the tests and the
Lambda function alike. The names the rollback alarms watch are that half's.
"""

from typing import Final

from serverless_fastapi_cdk import runtime as pattern

TABLE_PARTITION_KEY: Final = "pk"
"""String partition key of the single table (e.g. ``USER#<sub>``)."""

TABLE_SORT_KEY: Final = "sk"
"""String sort key of the single table (e.g. ``ITEM#<id>``)."""

TABLE_TTL_ATTRIBUTE: Final = "expires_at"
"""Epoch-seconds attribute that DynamoDB's TTL deletes on (idempotency records use it)."""

ENV_TABLE_NAME: Final = "TABLE_NAME"
ENV_CURSOR_SECRET_NAME: Final = "CURSOR_SECRET_NAME"  # noqa: S105 (a variable name, not a secret)
ENV_ENABLE_DOCS: Final = "ENABLE_DOCS"
ENV_APP_VERSION: Final = "APP_VERSION"
ENV_METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
"""Read by Powertools Metrics itself; the runtime's settings require it (see :mod:`runtime.settings`)."""

METRIC_ITEMS_CREATED: Final = "ItemsCreated"
METRIC_ITEMS_UPDATED: Final = "ItemsUpdated"
METRIC_ITEMS_DELETED: Final = "ItemsDeleted"
METRIC_CONFLICTS: Final = "Conflicts"
METRIC_UNHANDLED_ERRORS: Final = pattern.UNHANDLED_ERRORS
"""Emitted once per request that ends in an unexpected 500; a canary rollback alarm watches it."""

METRIC_CLIENT_ERRORS: Final = pattern.CLIENT_ERRORS
"""One datum per HTTP response: 1 for a 4xx, else 0 (Sum counts them, SampleCount counts requests)."""
METRIC_SERVER_ERRORS: Final = pattern.SERVER_ERRORS
"""One datum per HTTP response: 1 for a 5xx, else 0 (Sum counts them, SampleCount counts requests)."""

METRIC_SERVICE_DIMENSION: Final = pattern.SERVICE_DIMENSION
"""Dimension Powertools Metrics adds to every metric, valued with POWERTOOLS_SERVICE_NAME."""
METRIC_VERSION_DIMENSION: Final = pattern.VERSION_DIMENSION
"""Second dimension set of every metric (with ``service``): AWS_LAMBDA_FUNCTION_VERSION, so that rollback
alarms watch the version being deployed only."""

AWS_SERVICES: Final = ("dynamodb", "secretsmanager")
"""botocore names of every AWS service the runtime calls (:mod:`runtime.aws`); the dependency layer
keeps only their SDK models, so a client of any other service fails, locally as in Lambda."""

LAYER_EXCLUDE: Final = (
    "aws_lambda_powertools/utilities/auth_alpha",
    "aws_lambda_powertools/utilities/batch",
    "aws_lambda_powertools/utilities/circuit_breaker",
    "aws_lambda_powertools/utilities/data_masking",
    "aws_lambda_powertools/utilities/feature_flags",
    "aws_lambda_powertools/utilities/kafka",
    "aws_lambda_powertools/utilities/parser",
    "aws_lambda_powertools/utilities/streaming",
    "anyio/_backends/_trio.py",
    "anyio/pytest_plugin.py",
    "pydantic/mypy.py",
    "starlette/testclient.py",
    "fastapi/testclient.py",
    "dateutil/zoneinfo/dateutil-zoneinfo.tar.gz",
)
"""Layer paths (relative to its ``python/``) that nothing the runtime imports ever imports: Powertools
utilities the service does not use (only each other import them), anyio's trio backend, test and type
checker plug-ins, and dateutil's copy of the time zone database (read only by ``dateutil.tz.gettz``,
which botocore does not call). ``tests/constructs/test_layer_trimming.py`` checks that no module left in the
layer imports them."""
DOCS_LAYER_ASSETS: Final = (
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js",
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui.min.css",
)
"""Swagger UI's files in the layer, served at :data:`DOCS_ASSETS_PATH`; left out where docs are off."""

HANDLER: Final = "runtime.handler.handler"
"""Lambda handler path, relative to the root of the function's code asset."""

HEALTH_PATH: Final = "/health"
"""Unauthenticated health route; it never calls DynamoDB."""

DOCS_PATH: Final = "/docs"
OPENAPI_PATH: Final = "/openapi.json"
DOCS_ASSETS_PATH: Final = "/docs/assets"
"""Swagger UI's script and stylesheet, served by the service (``/docs/assets/<name>``), when docs are on."""

HEALTH_FUNCTION_VERSION_FIELD: Final = pattern.HEALTH_VERSION_FIELD
"""Field of the health response holding AWS_LAMBDA_FUNCTION_VERSION (the pre-traffic hook compares it)."""

CURSOR_SECRET_MIN_LENGTH: Final = 32
"""Minimum length in bytes of the cursor-signing secret's SecretString (used whole as the HMAC key)."""
