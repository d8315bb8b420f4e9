"""The service's Powertools logger, tracer and metrics, configured by their standard variables.

``POWERTOOLS_SERVICE_NAME`` names the service (and is the ``service`` metric dimension),
``POWERTOOLS_METRICS_NAMESPACE`` the metric namespace, ``POWERTOOLS_LOG_LEVEL`` the log level.
Tracing turns itself off outside Lambda (no ``LAMBDA_TASK_ROOT``) or with
``POWERTOOLS_TRACE_DISABLED=true``; only botocore is patched, the one library whose calls we trace.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()


def count(metric_name: str) -> None:
    """Add one to a Count metric, published when the invocation ends."""
    metrics.add_metric(name=metric_name, unit=MetricUnit.Count, value=1)
