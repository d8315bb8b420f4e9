"""(e) Slow: every call takes 65 % of the function's timeout (a new synchronous call to a slow dependency)."""

import os
import time
from typing import Any

from runtime.handler import handler as _handler

TIMEOUT_SECONDS = float(os.environ["BAD_VERSION_TIMEOUT_SECONDS"])


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(TIMEOUT_SECONDS * 0.65)
    response: dict[str, Any] = _handler(event, context)
    return response
