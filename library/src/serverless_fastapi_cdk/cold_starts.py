"""Cold starts and what the function costs a day, on the dashboard, and an alarm when cold starts slow down.

Lambda writes one ``platform.report`` record per invocation (JSON log format, system log level INFO); a new
execution environment's record carries ``record.metrics.initDurationMs``, or with SnapStart
``restoreDurationMs``. A metric filter turns that field into a metric (one datum per cold start: its
SampleCount is the number of cold starts, its percentiles their duration), which the alarm and a graph
watch; a Logs Insights widget reads the same records for the detail. The cost per day is metric math
over the function's ``Invocations`` and ``Duration`` and the stage's ``Count`` at list prices: an
estimate of the usage-driven part of the bill (``make cost`` prices the rest).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from serverless_fastapi_cdk.alarms import threshold_alarm
from serverless_fastapi_cdk.props import require

COLD_START_PERIOD = Duration.minutes(15)
"""Cold starts are rare: the alarm's p99 looks at a quarter of an hour so a single slow one does not trip it
alone unless it is the only one."""
WIDGET_WIDTH = 8
WIDGET_HEIGHT = 6


@dataclass(frozen=True, kw_only=True)
class UnitPrices:
    """List prices (USD) the cost-per-day graph multiplies usage by. Defaults: arm64 Lambda and HTTP API
    requests in eu-west-1, as ``tools/cost/prices/eu-west-1.json`` states them."""

    gb_second: float = 0.0000133334
    """Lambda duration per GB-second at the function's architecture. Default arm64's."""
    lambda_request: float = 0.20 / 1e6
    """One Lambda request. Default 0.20 USD a million."""
    api_request: float = 1.11 / 1e6
    """One HTTP API request. Default 1.11 USD a million."""

    def __post_init__(self) -> None:
        for name in ("gb_second", "lambda_request", "api_request"):
            require(getattr(self, name) >= 0, f"UnitPrices.{name}", "must be >= 0")


class ColdStartWatch(Construct):
    """Metric filter, cold-start alarm and the dashboard widgets of cold starts and cost per day.

    Public attributes: :attr:`metric` (cold-start duration, ms, one datum per cold start), :attr:`alarm`,
    :attr:`widgets` (to add to a dashboard), :attr:`cost_per_day` (metric math, USD).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        log_group: logs.ILogGroup,
        memory_mb: int,
        metric_namespace: str,
        snap_start: bool = False,
        http_stage: apigwv2.IHttpStage | None = None,
        p99_threshold_ms: float = 2000,
        prices: UnitPrices | None = None,
        alarm_name_prefix: str | None = None,
    ) -> None:
        """Watch ``function``'s cold starts in ``log_group``.

        :param function: the function whose ``platform.report`` records ``log_group`` receives. Required.
        :param log_group: the function's log group. Required.
        :param memory_mb: the function's memory, for the cost per day. Required.
        :param metric_namespace: namespace of the cold-start metric; give each environment of an account
            its own (e.g. ``<service>/<env>``). Required.
        :param snap_start: the function restores from SnapStart snapshots: the restore duration is its cold
            start. Default ``False``: the INIT duration.
        :param http_stage: adds its requests to the cost per day. Default ``None``: Lambda only.
        :param p99_threshold_ms: p99 cold-start duration over 15 minutes that trips the alarm. Default 2000.
        :param prices: what the cost per day multiplies usage by. Default ``UnitPrices()``.
        :param alarm_name_prefix: alarms are named ``<prefix>-<purpose>``. Default ``None``: CloudFormation
            names it.
        """
        super().__init__(scope, construct_id)
        require(p99_threshold_ms > 0, "ColdStartWatch.p99_threshold_ms", "must be > 0")
        prices = prices or UnitPrices()
        field = "restoreDurationMs" if snap_start else "initDurationMs"
        kind = "restore" if snap_start else "INIT"
        logs.MetricFilter(
            self,
            "ColdStartDurations",
            log_group=log_group,
            filter_pattern=logs.FilterPattern.all(
                logs.FilterPattern.string_value("$.type", "=", "platform.report"),
                logs.FilterPattern.number_value(f"$.record.metrics.{field}", ">=", 0),
            ),
            metric_namespace=metric_namespace,
            metric_name="ColdStartDuration",
            metric_value=f"$.record.metrics.{field}",
            unit=cloudwatch.Unit.MILLISECONDS,
        )
        self.metric = cloudwatch.Metric(
            namespace=metric_namespace,
            metric_name="ColdStartDuration",
            statistic="p99",
            period=COLD_START_PERIOD,
            unit=cloudwatch.Unit.MILLISECONDS,
        )
        self.alarm: cloudwatch.Alarm = threshold_alarm(
            self,
            "ColdStartDurationP99",
            name_prefix=alarm_name_prefix,
            description=f"Operational: p99 cold-start ({kind}) duration over 15 minutes, ms",
            metric=self.metric,
            threshold=p99_threshold_ms,
            evaluation_periods=2,
            datapoints_to_alarm=2,
        )
        day = Duration.days(1)
        usage = {
            "invocations": function.metric_invocations(statistic="Sum", period=day),
            "duration": function.metric_duration(statistic="Sum", period=day),
        }
        gb_second_of_a_ms = _number(memory_mb / 1024 / 1000 * prices.gb_second)
        expression = f"invocations * {_number(prices.lambda_request)} + duration * {gb_second_of_a_ms}"
        if http_stage is not None:
            usage["requests"] = http_stage.metric_count(statistic="Sum", period=day)
            expression += f" + FILL(requests, 0) * {_number(prices.api_request)}"
        self.cost_per_day = cloudwatch.MathExpression(
            expression=expression,
            using_metrics=usage,
            label="USD a day (Lambda and API requests)",
            period=day,
        )
        minute = Duration.minutes(5)
        self.widgets: list[cloudwatch.IWidget] = [
            cloudwatch.GraphWidget(
                title=f"Cold starts ({kind})",
                left=[self.metric.with_(statistic="SampleCount", period=minute, label="cold starts")],
                right=[
                    self.metric.with_(statistic="p50", period=minute, label="p50 ms"),
                    self.metric.with_(statistic="p99", period=minute, label="p99 ms"),
                ],
                right_annotations=[
                    cloudwatch.HorizontalAnnotation(value=p99_threshold_ms, label="alarm (p99)")
                ],
                width=WIDGET_WIDTH,
                height=WIDGET_HEIGHT,
            ),
            cloudwatch.LogQueryWidget(
                title=f"Cold starts by hour ({kind} duration, ms)",
                log_group_names=[log_group.log_group_name],
                query_lines=[
                    'filter type = "platform.report"',
                    f"filter ispresent(record.metrics.{field})",
                    f"stats count(*) as coldStarts, pct(record.metrics.{field}, 50) as p50, "
                    f"pct(record.metrics.{field}, 99) as p99 by bin(1h)",
                ],
                width=WIDGET_WIDTH,
                height=WIDGET_HEIGHT,
            ),
            cloudwatch.SingleValueWidget(
                title="Estimated cost per day (USD)",
                metrics=[self.cost_per_day],
                width=WIDGET_WIDTH,
                height=WIDGET_HEIGHT,
            ),
        ]


def _number(value: float) -> str:
    """Plain decimal notation (metric math has no exponents)."""
    return f"{value:.15f}".rstrip("0").rstrip(".")
