"""The one alarm shape of the library: trips at ``>=`` a threshold, reads missing data as fine."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct


def alarm_name(prefix: str | None, construct_id: str) -> str | None:
    """``<prefix>-<construct-id in kebab case>``, or ``None`` (CloudFormation names it) without a prefix."""
    if not prefix:
        return None
    kebab = "".join(f"-{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(construct_id))
    return f"{prefix}-{kebab}"


def threshold_alarm(
    scope: Construct,
    construct_id: str,
    *,
    name_prefix: str | None,
    description: str,
    metric: cloudwatch.IMetric,
    threshold: float,
    evaluation_periods: int,
    datapoints_to_alarm: int,
) -> cloudwatch.Alarm:
    """An alarm in ``scope`` named by :func:`alarm_name`, described as ``"<description> >= <threshold>."``.

    Missing data is not breaching: a metric that only has datapoints when something goes wrong (errors,
    throttles) is silent when all is well.
    """
    return cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_name=alarm_name(name_prefix, construct_id),
        alarm_description=f"{description} >= {threshold:g}.",
        metric=metric,
        threshold=threshold,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints_to_alarm,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
