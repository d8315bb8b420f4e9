"""The cursor-signing key: a Secrets Manager secret read through Powertools parameters.

The value is cached for :data:`SECRET_MAX_AGE_SECONDS` across invocations, so a rotated secret is
picked up within that time (cursors signed with the old key then answer 400). It is fetched only
when a request reads or issues a cursor. Only an unavailable Secrets Manager (throttling, a 5xx, no
connection) is a 503; any other failure (a missing secret, access denied) is a deployment fault and
escapes as an unexpected error: a 500, logged with its traceback and counted.
"""

from __future__ import annotations

from runtime import aws
from runtime.contract import CURSOR_SECRET_MIN_LENGTH
from runtime.errors import ServiceUnavailableError
from runtime.observability import logger

SECRET_MAX_AGE_SECONDS = 300


class SigningKeyError(RuntimeError):
    """The secret exists but cannot serve as a key: a deployment mistake, not a client's."""


def cursor_signing_key(secret_name: str) -> bytes:
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        value = aws.secrets_provider().get(secret_name, max_age=SECRET_MAX_AGE_SECONDS)
    except GetParameterError as exc:
        # Powertools raises GetParameterError inside its own except block: the SDK's error is the context.
        if exc.__context__ is None or not aws.is_unavailable(exc.__context__):
            raise
        logger.warning(
            "Secrets Manager unavailable", extra={"dependency": "secretsmanager", "error": str(exc)}
        )
        raise ServiceUnavailableError from exc
    key = value.encode() if isinstance(value, str) else value
    if not isinstance(key, bytes) or len(key) < CURSOR_SECRET_MIN_LENGTH:
        raise SigningKeyError(f"the cursor secret must hold at least {CURSOR_SECRET_MIN_LENGTH} bytes")
    return key
