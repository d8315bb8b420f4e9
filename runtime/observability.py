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

from runtime.tracing import Tracer
from serverless_fastapi_cdk.runtime import metric_dimensions, metric_names, response_metrics

QUIET_LOGGERS = ("boto3", "botocore", "urllib3")
"""Libraries that log what they send and receive; held at WARNING."""

for _name in QUIET_LOGGERS:
    logging.getLogger(_name).setLevel(logging.WARNING)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
METRIC_NAMES = metric_names()
"""The names the rollback alarms watch, as the pattern set them (the library's runtime half)."""


def count(metric_name: str) -> None:
    """Add one to a Count metric, published when the invocation ends."""
    metrics.add_metric(name=metric_name, unit=MetricUnit.Count, value=1)


def record_status(status: int) -> None:
    """Publish the response's class (4xx, 5xx) as 0/1 data, by service and by service and version."""
    for name, value in response_metrics(status, METRIC_NAMES).items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
    if version and metrics.service:
        metrics.add_dimensions(**metric_dimensions(metrics.service, version, METRIC_NAMES)[-1])
