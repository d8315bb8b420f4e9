"""Where a person learns that the service is unwell: an alarm topic, operational alarms and a dashboard.

Every alarm handed to the construct (the canary's rollback alarms) and every alarm it creates (DynamoDB
throttling, Lambda concurrency near the reserved limit) notifies one SNS topic. The topic is encrypted with
its own KMS key, whose policy lets CloudWatch (and only for alarms of this account) publish to it; each
subscription gets a dead-letter queue so a notification that cannot be delivered is kept rather than
dropped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from serverless_fastapi_cdk.alarms import threshold_alarm
from serverless_fastapi_cdk.props import require

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

DYNAMODB_OPERATIONS: frozenset[str] = frozenset(
    "".join(word.capitalize() for word in operation.name.split("_")) for operation in dynamodb.Operation
)
"""Values of the ``Operation`` dimension DynamoDB publishes ``ThrottledRequests`` under (``GetItem``,
``Query``, ...): the API operation names, the same words as in their IAM actions."""

DEFAULT_THROTTLE_OPERATIONS: tuple[str, ...] = (
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactWriteItems",
)
"""Item operations whose ``ThrottledRequests`` are summed when the caller does not say which it calls."""

MAX_ALARM_METRICS = 10
"""CloudWatch's hard limit of metrics in one metric-math alarm."""

OPERATIONAL_PERIOD = cdk.Duration.minutes(1)
THROTTLE_EVALUATION_PERIODS = 3
"""The throttling alarm trips when any 1 of the last 3 minutes breaches: DynamoDB's metrics arrive late and
a ``FILL``-ed minute reads 0 until they do, so the alarm looks back past the newest minute."""
DASHBOARD_PERIOD = cdk.Duration.minutes(1)
WIDGET_WIDTH = 8
WIDGET_HEIGHT = 6


@dataclass(frozen=True, kw_only=True)
class NotificationSettings:
    """Who the alarm topic notifies (every alarm it is handed and every alarm it creates). None by default."""

    emails: tuple[str, ...] = ()
    """E-mail addresses; each must confirm the subscription SNS mails it. Default none."""
    https_urls: tuple[str, ...] = ()
    """HTTPS endpoints (chat webhooks, incident tools) that accept SNS notifications. Default none."""

    def __post_init__(self) -> None:
        for email in self.emails:
            require(bool(_EMAIL.match(email)), "NotificationSettings.emails", f"{email!r} is not an address")
        for url in self.https_urls:
            require(url.startswith("https://"), "NotificationSettings.https_urls", f"{url!r} is not https")


class ServiceMonitoring(Construct):
    """Alarm topic, operational alarms and a dashboard for a Lambda + HTTP API + DynamoDB service.

    Public attributes: ``topic`` (alarm notifications), ``topic_key``, ``dead_letter_queue`` (``None``
    without subscriptions), ``alarms`` (the operational alarms this construct created), ``notified_alarms``
    (every alarm that notifies the topic), ``dashboard``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        http_stage: apigwv2.IHttpStage,
        table: dynamodb.ITableV2 | None = None,
        reserved_concurrency: int | None = None,
        concurrency_alarm_ratio: float = 0.8,
        throttled_requests_threshold: int = 1,
        throttle_operations: Sequence[str] = DEFAULT_THROTTLE_OPERATIONS,
        notify_alarms: Sequence[cloudwatch.Alarm] = (),
        notifications: NotificationSettings | None = None,
        alarm_name_prefix: str | None = None,
        dashboard_name: str | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.DESTROY,
        alarm_topic: sns.ITopic | None = None,
        alarm_topic_key: kms.IKey | None = None,
    ) -> None:
        """Monitor ``function`` behind ``http_stage`` with ``table``.

        :param function: the API function (its metrics cover every version).
        :param http_stage: the HTTP API stage clients call.
        :param table: the service's DynamoDB table: its throttled requests alarm, its capacity is graphed.
            Default ``None``: a service without a table.
        :param reserved_concurrency: the function's reserved concurrency; ``None`` (the default) means it has
            none and no concurrency alarm is created.
        :param concurrency_alarm_ratio: share of ``reserved_concurrency`` at which the concurrency alarm
            trips. Default 0.8.
        :param throttled_requests_threshold: DynamoDB ``ThrottledRequests`` per minute that trip the alarm.
            Default 1.
        :param throttle_operations: the DynamoDB API operations the service calls on ``table`` (``GetItem``,
            ``Query``, ...), whose ``ThrottledRequests`` are summed; 1 to 10 (CloudWatch's limit of metrics in
            an alarm). Default: the item operations in ``DEFAULT_THROTTLE_OPERATIONS``.
        :param notify_alarms: alarms created elsewhere (e.g. ``CanaryDeployment.alarms``) that must notify the
            topic too. Default none.
        :param notifications: the topic's e-mail and HTTPS subscriptions. Default ``NotificationSettings()``:
            none.
        :param alarm_name_prefix: alarms are named ``<prefix>-<purpose>``; default ``None`` lets
            CloudFormation name them.
        :param dashboard_name: the dashboard's name; default ``None`` lets CloudFormation name it.
        :param removal_policy: what happens to the topic key and the dead-letter queue with the stack.
            Default ``DESTROY``: both only carry transient notifications.
        :param alarm_topic: a topic shared by several services, which every alarm notifies instead of a
            topic of this construct; its owner grants CloudWatch ``sns:Publish`` (and its key's use) and
            subscribes its readers. Default ``None``: a topic of its own.
        :param alarm_topic_key: a KMS key shared by several services that encrypts this construct's topic.
            Default ``None``: a key of its own, rotated yearly.
        """
        super().__init__(scope, construct_id)
        notifications = notifications or NotificationSettings()
        _validate(
            reserved_concurrency=reserved_concurrency,
            concurrency_alarm_ratio=concurrency_alarm_ratio,
            throttled_requests_threshold=throttled_requests_threshold,
            throttle_operations=throttle_operations,
        )
        self._alarm_name_prefix = alarm_name_prefix

        self.topic_key: kms.IKey | None = alarm_topic_key
        self.dead_letter_queue: sqs.Queue | None = None
        if alarm_topic is not None:
            require(
                alarm_topic_key is None and not (notifications.emails or notifications.https_urls),
                "ServiceMonitoring.alarm_topic",
                "a shared topic brings its own key and subscribers: give no alarm_topic_key or notifications",
            )
            self.topic: sns.ITopic = alarm_topic
        else:
            self._build_topic(notifications, removal_policy)

        throttles = table_throttled_requests(table, throttle_operations) if table is not None else None
        concurrency = function.metric("ConcurrentExecutions", statistic="Maximum", period=OPERATIONAL_PERIOD)
        self.alarms: list[cloudwatch.Alarm] = self._build_alarms(
            throttles=throttles,
            throttled_requests_threshold=throttled_requests_threshold,
            concurrency=concurrency,
            reserved_concurrency=reserved_concurrency,
            concurrency_alarm_ratio=concurrency_alarm_ratio,
        )
        self.notified_alarms: list[cloudwatch.Alarm] = [*notify_alarms, *self.alarms]
        action = cloudwatch_actions.SnsAction(self.topic)
        for alarm in self.notified_alarms:
            alarm.add_alarm_action(action)

        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=dashboard_name, default_interval=cdk.Duration.hours(3)
        )
        self._add_widgets(
            function=function,
            http_stage=http_stage,
            table=table,
            concurrency=concurrency,
            reserved_concurrency=reserved_concurrency,
            throttles=throttles,
        )

    def _build_alarms(
        self,
        *,
        throttles: cloudwatch.IMetric | None,
        throttled_requests_threshold: int,
        concurrency: cloudwatch.IMetric,
        reserved_concurrency: int | None,
        concurrency_alarm_ratio: float,
    ) -> list[cloudwatch.Alarm]:
        """Operational alarms: table throttling (with a table), concurrency (with reserved concurrency)."""
        alarms = []
        if throttles is not None:
            alarms.append(
                self._alarm(
                    "TableThrottledRequests",
                    description="DynamoDB throttled requests of the table",
                    metric=throttles,
                    threshold=throttled_requests_threshold,
                    evaluation_periods=THROTTLE_EVALUATION_PERIODS,
                    datapoints_to_alarm=1,
                )
            )
        if reserved_concurrency is not None:
            limit = max(1, math.ceil(reserved_concurrency * concurrency_alarm_ratio))
            alarms.append(
                self._alarm(
                    "ConcurrencyNearReservedLimit",
                    description=f"Lambda concurrent executions near the reserved {reserved_concurrency}",
                    metric=concurrency,
                    threshold=limit,
                    evaluation_periods=3,
                    datapoints_to_alarm=3,
                )
            )
        return alarms

    def _alarm(
        self,
        construct_id: str,
        *,
        description: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        evaluation_periods: int,
        datapoints_to_alarm: int,
    ) -> cloudwatch.Alarm:
        return threshold_alarm(
            self,
            construct_id,
            name_prefix=self._alarm_name_prefix,
            description=f"Operational: {description}",
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
        )

    def _build_topic(self, notifications: NotificationSettings, removal_policy: cdk.RemovalPolicy) -> None:
        """The encrypted alarm topic (with a key of its own unless one is shared) and its subscriptions."""
        key = self.topic_key or kms.Key(
            self,
            "AlarmTopicKey",
            description="Encrypts the alarm notification topic",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        self.topic_key = key
        topic = sns.Topic(self, "AlarmTopic", master_key=key, enforce_ssl=True)
        self.topic = topic
        self._allow_cloudwatch_to_publish(key, topic)
        self.dead_letter_queue = self._subscribe(
            emails=notifications.emails,
            https_urls=notifications.https_urls,
            removal_policy=removal_policy,
        )

    def _allow_cloudwatch_to_publish(self, key: kms.IKey, topic: sns.ITopic) -> None:
        """Let CloudWatch alarms of this account, and nothing else, publish through the key and the topic.

        Publishing to an encrypted topic needs exactly ``kms:GenerateDataKey`` (SNS asks for a data key to
        encrypt the message) and ``kms:Decrypt``; no other data-key variant is granted.
        """
        stack = cdk.Stack.of(self)
        cloudwatch_principal = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        alarms_of_this_account = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name="*",
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            },
        }
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToUseKey",
                principals=[cloudwatch_principal],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions=alarms_of_this_account,
            )
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[cloudwatch_principal],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions=alarms_of_this_account,
            )
        )

    def _subscribe(
        self,
        *,
        emails: Sequence[str],
        https_urls: Sequence[str],
        removal_policy: cdk.RemovalPolicy,
    ) -> sqs.Queue | None:
        if not emails and not https_urls:
            return None
        queue = sqs.Queue(
            self,
            "NotificationDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
            removal_policy=removal_policy,
        )
        reason = "This queue is itself the dead-letter queue of the alarm topic's subscriptions."
        for rule_id in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
            cdk.Validations.of(queue).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email, dead_letter_queue=queue))
        for url in https_urls:
            self.topic.add_subscription(subscriptions.UrlSubscription(url, dead_letter_queue=queue))
        return queue

    def _add_widgets(
        self,
        *,
        function: lambda_.IFunction,
        http_stage: apigwv2.IHttpStage,
        table: dynamodb.ITableV2 | None,
        concurrency: cloudwatch.Metric,
        reserved_concurrency: int | None,
        throttles: cloudwatch.IMetric | None,
    ) -> None:
        period = DASHBOARD_PERIOD
        reserved_line = (
            [cloudwatch.HorizontalAnnotation(value=reserved_concurrency, label="reserved concurrency")]
            if reserved_concurrency is not None
            else None
        )
        self.dashboard.add_widgets(
            _graph(
                "API requests", [http_stage.metric_count(period=period, statistic="Sum", label="requests")]
            ),
            _graph(
                "API 4xx / 5xx",
                [
                    http_stage.metric_client_error(period=period, label="4xx"),
                    http_stage.metric_server_error(period=period, label="5xx"),
                ],
            ),
            _graph(
                "API latency (ms)",
                [
                    http_stage.metric_latency(period=period, statistic="p50", label="p50"),
                    http_stage.metric_latency(period=period, statistic="p99", label="p99"),
                ],
            ),
        )
        self.dashboard.add_widgets(
            _graph(
                "Lambda duration (ms)",
                [
                    function.metric_duration(period=period, statistic="p50", label="p50"),
                    function.metric_duration(period=period, statistic="p99", label="p99"),
                ],
            ),
            _graph(
                "Lambda errors / throttles",
                [
                    function.metric_errors(period=period, label="errors"),
                    function.metric_throttles(period=period, label="throttles"),
                ],
            ),
            _graph(
                "Lambda concurrent executions",
                [concurrency.with_(label="max concurrent executions", period=period)],
                annotations=reserved_line,
            ),
        )
        alarm_status = cloudwatch.AlarmStatusWidget(
            title="Alarms", alarms=list(self.notified_alarms), width=WIDGET_WIDTH, height=WIDGET_HEIGHT
        )
        if table is None or throttles is None:
            self.dashboard.add_widgets(alarm_status)
            return
        self.dashboard.add_widgets(
            _graph(
                "DynamoDB consumed capacity",
                [
                    table.metric_consumed_read_capacity_units(
                        period=period, statistic="Sum", label="read units"
                    ),
                    table.metric_consumed_write_capacity_units(
                        period=period, statistic="Sum", label="write units"
                    ),
                ],
            ),
            _graph("DynamoDB throttled requests", [throttles]),
            alarm_status,
        )


def table_throttled_requests(
    table: dynamodb.ITableV2, operations: Sequence[str]
) -> cloudwatch.MathExpression:
    """``ThrottledRequests`` of ``table`` summed over ``operations``, one value every minute.

    DynamoDB publishes the metric per ``Operation`` and only for minutes in which that operation was
    throttled, so each term is ``FILL(mN, 0)``: a minute in which only some operations were throttled (or
    none) still yields a sum instead of depending on how CloudWatch joins sparse series.
    """
    terms = {
        f"m{index}": cloudwatch.Metric(
            namespace="AWS/DynamoDB",
            metric_name="ThrottledRequests",
            dimensions_map={"TableName": table.table_name, "Operation": operation},
            statistic=cloudwatch.Stats.SUM,
            period=OPERATIONAL_PERIOD,
            label=operation,
        )
        for index, operation in enumerate(operations, start=1)
    }
    return cloudwatch.MathExpression(
        expression=" + ".join(f"FILL({metric_id}, 0)" for metric_id in terms),
        using_metrics=terms,
        label="throttled requests",
        period=OPERATIONAL_PERIOD,
    )


def _graph(
    title: str,
    metrics: Sequence[cloudwatch.IMetric],
    *,
    annotations: Sequence[cloudwatch.HorizontalAnnotation] | None = None,
) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(
        title=title,
        left=list(metrics),
        left_annotations=list(annotations) if annotations else None,
        width=WIDGET_WIDTH,
        height=WIDGET_HEIGHT,
    )


def _validate(
    *,
    reserved_concurrency: int | None,
    concurrency_alarm_ratio: float,
    throttled_requests_threshold: int,
    throttle_operations: Sequence[str],
) -> None:
    if reserved_concurrency is not None and reserved_concurrency < 1:
        raise ValueError(f"reserved_concurrency must be at least 1 or None, got {reserved_concurrency}")
    if not 0 < concurrency_alarm_ratio <= 1:
        raise ValueError(f"concurrency_alarm_ratio must be in (0, 1], got {concurrency_alarm_ratio}")
    if throttled_requests_threshold < 1:
        raise ValueError(
            f"throttled_requests_threshold must be at least 1, got {throttled_requests_threshold}"
        )
    if not 1 <= len(throttle_operations) <= MAX_ALARM_METRICS:
        raise ValueError(
            f"throttle_operations must name 1 to {MAX_ALARM_METRICS} operations (CloudWatch's limit for a "
            f"metric-math alarm), got {len(throttle_operations)}"
        )
    unknown = sorted(set(throttle_operations) - DYNAMODB_OPERATIONS)
    if unknown:
        raise ValueError(f"throttle_operations: {unknown} are not DynamoDB operations (e.g. GetItem, Query)")
    if len(set(throttle_operations)) != len(throttle_operations):
        raise ValueError(f"throttle_operations: each operation at most once, got {list(throttle_operations)}")
