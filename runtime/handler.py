"""The Lambda entry point (``runtime.handler.handler``): the app behind Mangum, with Powertools.

Powertools sees the Lambda context: the logger takes API Gateway's request id as correlation id and
adds the cold-start flag, and metrics are flushed (as EMF) at the end of every invocation; the
tracer (:mod:`runtime.tracing`) records the invocation. The logger never logs the event, which
holds the caller's token and the request body, whatever ``POWERTOOLS_LOGGER_LOG_EVENT`` says.
Everything the module builds at import is built with the garbage collector paused
(:mod:`runtime.init_phase`). The token issuer's keys are fetched first, in the background, so the
download overlaps the imports (:mod:`runtime.identity`).
"""

from __future__ import annotations

import warnings
from typing import Any

from runtime.init_phase import collector_paused, import_first_request_modules, model_builds_deferred

with collector_paused(), model_builds_deferred():
    from runtime import identity

    identity.configure()
    from aws_lambda_powertools.logging import correlation_paths
    from mangum import Mangum
    from mangum.types import LambdaContext

    from runtime import aws
    from runtime.main import create_app, resolve_routes
    from runtime.observability import logger, metrics, tracer
    from runtime.snapstart import register_restore_hooks

    app = create_app()
    resolve_routes(app)
    _asgi_adapter = Mangum(app, lifespan="off")
    aws.warm_up()
    import_first_request_modules()
    register_restore_hooks()

# Reads add no metric; Powertools would warn about an empty metric set after each of them.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True, log_event=False
)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = _asgi_adapter(event, context)
    return response
