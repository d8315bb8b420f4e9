"""(c) Table access broken: every DynamoDB call is refused with ``AccessDeniedException``.

This is what a version with a missing grant or a wrong table ARN meets in AWS. moto's server accepts any
credentials and does not evaluate IAM, so the refusal is injected on the runtime's own DynamoDB client, with
the error code and HTTP status DynamoDB returns, before the request is sent; everything else is real.
"""

from typing import Any

from botocore.exceptions import ClientError

from runtime import aws
from runtime.handler import handler


def _refuse(model: Any, **_: Any) -> None:
    error: Any = {
        "Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform this action"},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }
    raise ClientError(error, model.name)


aws.dynamodb().meta.events.register("before-call.dynamodb", _refuse)

__all__ = ["handler"]
