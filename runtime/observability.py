"""The service's Powertools logger and metrics, and its X-Ray tracer, configured by their standard variables.

``POWERTOOLS_SERVICE_NAME`` names the service (and is the ``service`` metric dimension),
``POWERTOOLS_METRICS_NAMESPACE`` the metric namespace, ``POWERTOOLS_LOG_LEVEL`` the log level.
Every metric is published twice: by ``service``, and by ``service`` and ``function_version``
(``AWS_LAMBDA_FUNCTION_VERSION``, one new value per deployment), which the rollback alarms watch.
Tracing (:mod:`runtime.tracing`, no X-Ray SDK) turns itself off outside Lambda (no ``LAMBDA_TASK_ROOT``)
or with ``POWERTOOLS_TRACE_DISABLED=true``; the AWS clients of :mod:`runtime.aws` are the calls it traces.

Lambda's log-level filter sets the root logger to the function's application log level. At DEBUG the
AWS SDK logs whole request and response bodies (items, the cursor key) and signed request headers,
urllib3 its connections: :data:`QUIET_LOGGERS` stay at
WARNING whatever that level, so only the service's own logger follows it.
"""

from __future__ import annotations

import logging
import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from runtime.contract import (
    METRIC_CLIENT_ERRORS,
    METRIC_SERVER_ERRORS,
    METRIC_SERVICE_DIMENSION,
    METRIC_VERSION_DIMENSION,
)
from runtime.tracing import Tracer

QUIET_LOGGERS = ("boto3", "botocore", "urllib3")
"""Libraries that log what they send and receive; held at WARNING."""

for _name in QUIET_LOGGERS:
    logging.getLogger(_name).setLevel(logging.WARNING)

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def count(metric_name: str) -> None:
    """Add one to a Count metric, published when the invocation ends."""
    metrics.add_metric(name=metric_name, unit=MetricUnit.Count, value=1)


def record_status(status: int) -> None:
    """Publish the response's class (4xx, 5xx) as 0/1 data, by service and by service and version."""
    metrics.add_metric(name=METRIC_CLIENT_ERRORS, unit=MetricUnit.Count, value=int(400 <= status < 500))
    metrics.add_metric(name=METRIC_SERVER_ERRORS, unit=MetricUnit.Count, value=int(status >= 500))
    version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
    if version and metrics.service:
        by_version = {METRIC_SERVICE_DIMENSION: metrics.service, METRIC_VERSION_DIMENSION: version}
        metrics.add_dimensions(**by_version)
