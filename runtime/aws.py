"""AWS clients, created on first use and reused by every later invocation, and how their calls fail.

Importing this module creates nothing; the handler's INIT calls :func:`warm_up`, which makes the
DynamoDB client (with its service model and endpoint rules) before the first request, as a function
that creates its client at module level would, but opens no connection. Other clients are made by
the first call that needs them. Each client's calls are traced
(:meth:`runtime.tracing.Tracer.instrument`). Clients come from botocore directly: a boto3 session
would only add its resource layer and S3 transfer manager, which the service never uses, to every
cold start that reaches DynamoDB (``make bench`` measures it). :func:`reset` drops every client and
cache (between tests); :func:`restored` also makes the DynamoDB client again, after a SnapStart
restore, so that credentials, connections and cached secrets are rebuilt.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters.secrets import SecretsProvider
    from botocore.client import BaseClient
    from botocore.config import Config
    from botocore.loaders import Loader
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


STATIC_CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
"""Where Lambda puts the function's credentials, except under SnapStart (container credentials)."""


@dataclass
class _Cache:
    session: Session | None = None
    loader: Loader | None = None
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


def warm_up(*, network: bool = False) -> None:
    """Do now what the first request would: load DynamoDB's model and, if that needs no network, its client.

    The service model and endpoint rules are read into the session's loader in any case. The client
    (with its credentials) is made too when ``network`` is allowed, or when the credentials are in
    the environment, as Lambda passes them to functions without SnapStart; a SnapStart function's
    credentials come from Lambda's container credentials endpoint, a request not to make before the
    snapshot.
    """
    if network or all(os.environ.get(name) for name in STATIC_CREDENTIAL_VARIABLES):
        dynamodb()
        return
    with _lock:
        session = _session()
        session.get_service_model("dynamodb")
        session.get_component("data_loader").load_service_model("dynamodb", "endpoint-rule-set-1")


def reset() -> None:
    """Forget every client, credential and cached value; the next use creates them afresh.

    The AWS SDK's service models, read-only data, are kept.
    """
    with _lock:
        _cache.session = _cache.dynamodb = _cache.secrets_provider = None


def restored() -> None:
    """After a SnapStart restore: new credentials and clients, made before the first request needs them.

    If the credentials cannot be had yet, the restore still succeeds: the first request that needs
    the client tries again.
    """
    reset()
    try:
        warm_up(network=True)
    except BotoCoreError:
        reset()


def _session() -> Session:
    if _cache.session is None:
        from botocore.session import Session

        _cache.session = Session()
        if _cache.loader is None:
            _cache.loader = _cache.session.get_component("data_loader")
        else:
            _cache.session.register_component("data_loader", _cache.loader)
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
