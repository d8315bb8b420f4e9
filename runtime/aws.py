"""AWS clients, created on first use and reused by every later invocation, and how their calls fail.

Importing this module creates nothing: the botocore session, each client (with its service model
and endpoint rules) and its connections are made by the first call that needs them, so requests that
need no AWS service (health, docs) never pay for them. Each client's calls are traced
(:meth:`runtime.tracing.Tracer.instrument`). Clients come from botocore
directly: a boto3 session would only add its resource layer and S3 transfer manager, which the
service never uses, to every cold start that reaches DynamoDB (``make bench`` measures it).
:func:`reset` drops every client and cache; call it after a SnapStart restore (or between tests) so
that connections and cached secrets are rebuilt.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters.secrets import SecretsProvider
    from botocore.client import BaseClient
    from botocore.config import Config
    from botocore.session import Session
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 2

_UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


@dataclass
class _Cache:
    session: Session | None = None
    dynamodb: DynamoDBClient | None = None
    secrets_provider: SecretsProvider | None = None


_lock = threading.Lock()
_cache = _Cache()


def dynamodb() -> DynamoDBClient:
    with _lock:
        if _cache.dynamodb is None:
            client = _traced(_session().create_client("dynamodb", config=_client_config()))
            _cache.dynamodb = cast("DynamoDBClient", client)
        return _cache.dynamodb


def secrets_provider() -> SecretsProvider:
    """Powertools' Secrets Manager provider; it caches values across invocations."""
    with _lock:
        if _cache.secrets_provider is None:
            from aws_lambda_powertools.utilities.parameters.secrets import SecretsProvider

            client = _traced(_session().create_client("secretsmanager", config=_client_config()))
            _cache.secrets_provider = SecretsProvider(boto3_client=cast("SecretsManagerClient", client))
        return _cache.secrets_provider


def is_unavailable(error: BaseException) -> bool:
    """True for failures that a retry later may not meet: throttling, a 5xx, no connection.

    Anything else (access denied, a missing table or secret, a malformed request) is a fault of the
    deployment or of the code, which no retry cures.
    """
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.response.get("Error", {}).get("Code") in _UNAVAILABLE_CODES or status >= 500
    return isinstance(error, BotocoreConnectionError | HTTPClientError)


def reset() -> None:
    """Forget every client and cached value; the next use creates them afresh."""
    with _lock:
        _cache.session = _cache.dynamodb = _cache.secrets_provider = None


def _session() -> Session:
    if _cache.session is None:
        from botocore.session import Session

        _cache.session = Session()
    return _cache.session


def _traced(client: BaseClient) -> BaseClient:
    from runtime.observability import tracer

    tracer.instrument(client)
    return client


def _client_config() -> Config:
    """Short timeouts and the standard retry mode; ``AWS_MAX_ATTEMPTS`` may change the attempt count."""
    from botocore.config import Config

    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard"},
    )
