"""The ServiceMonitoring construct: alarm topic, operational alarms and dashboard, as synthesized."""

from __future__ import annotations

import json
import re
from typing import Any

import botocore.session
import pytest

from serverless_fastapi_cdk.monitoring import (
    DEFAULT_THROTTLE_OPERATIONS,
    DYNAMODB_OPERATIONS,
    MAX_ALARM_METRICS,
    NotificationSettings,
    _validate,
)
from serverless_fastapi_cdk.props import PropsError
from tests.constructs.test_canary_deployment import alarm, dimensions, of_type, only
from tests.support.scaffold import (
    DASHBOARD_NAME,
    EMAIL,
    HTTPS_URL,
    RESERVED_CONCURRENCY,
    Scaffold,
    ScaffoldApp,
)

CLOUDWATCH_ALARMS_OF_THIS_ACCOUNT = {
    "StringEquals": {"aws:SourceAccount": "123456789012"},
    "ArnLike": {
        "aws:SourceArn": {
            "Fn::Join": [
                "",
                ["arn:", {"Ref": "AWS::Partition"}, ":cloudwatch:eu-west-1:123456789012:alarm:*"],
            ]
        }
    },
}


def test_every_alarm_in_the_stack_notifies_the_topic(scaffold: Scaffold):
    topic_id, _ = only(scaffold, "AWS::SNS::Topic")
    alarms = of_type(scaffold, "AWS::CloudWatch::Alarm")
    canary_alarms = len(scaffold.canary.alarms) + len(scaffold.canary.stage_alarms)
    assert len(alarms) == canary_alarms + len(scaffold.monitoring.alarms) == 9
    for logical_id, resource in alarms.items():
        assert resource["Properties"]["AlarmActions"] == [{"Ref": topic_id}], logical_id
        assert resource["Properties"]["TreatMissingData"] == "notBreaching", logical_id


def test_topic_is_encrypted_with_a_rotating_key_cloudwatch_may_use(scaffold: Scaffold):
    _, topic = only(scaffold, "AWS::SNS::Topic")
    key_id, key = only(scaffold, "AWS::KMS::Key")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch == [
        {
            "Sid": "AllowCloudWatchAlarmsToUseKey",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": CLOUDWATCH_ALARMS_OF_THIS_ACCOUNT,
        }
    ]


def test_topic_accepts_only_tls_and_cloudwatch_alarms_of_this_account(scaffold: Scaffold):
    topic_id, _ = only(scaffold, "AWS::SNS::Topic")
    _, policy = only(scaffold, "AWS::SNS::TopicPolicy")
    assert policy["Properties"]["Topics"] == [{"Ref": topic_id}]
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert statements["AllowPublishThroughSSLOnly"]["Effect"] == "Deny"
    assert statements["AllowPublishThroughSSLOnly"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statements["AllowCloudWatchAlarmsToPublish"] == {
        "Sid": "AllowCloudWatchAlarmsToPublish",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": {"Ref": topic_id},
        "Condition": CLOUDWATCH_ALARMS_OF_THIS_ACCOUNT,
    }


def test_subscriptions_from_props_keep_undeliverable_notifications(scaffold: Scaffold):
    topic_id, _ = only(scaffold, "AWS::SNS::Topic")
    queue_id, queue = only(scaffold, "AWS::SQS::Queue")
    subscriptions = sorted(
        (s["Properties"] for s in of_type(scaffold, "AWS::SNS::Subscription").values()),
        key=lambda s: s["Protocol"],
    )
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", EMAIL), ("https", HTTPS_URL)]
    for subscription in subscriptions:
        assert subscription["TopicArn"] == {"Ref": topic_id}
        assert subscription["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_no_subscriptions_means_no_dead_letter_queue(scaffold_app: ScaffoldApp):
    bare = scaffold_app.stacks["all_at_once"]
    assert bare.monitoring.dead_letter_queue is None
    assert of_type(bare, "AWS::SNS::Subscription") == {}
    assert of_type(bare, "AWS::SQS::Queue") == {}


def throttled_requests_by_operation(
    queries: list[dict[str, Any]], table_ref: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """The returned expression and ``{metric id: Operation}`` of its terms, each checked to be the table's
    ``ThrottledRequests`` summed per minute."""
    returned = [q for q in queries if q.get("ReturnData", True)]
    assert len(returned) == 1
    operations = {}
    for query in queries:
        if "MetricStat" not in query:
            continue
        assert query["ReturnData"] is False
        stat = query["MetricStat"]
        assert stat["Metric"]["Namespace"] == "AWS/DynamoDB"
        assert stat["Metric"]["MetricName"] == "ThrottledRequests"
        assert (stat["Stat"], stat["Period"]) == ("Sum", 60)
        dims = dimensions(stat["Metric"])
        assert sorted(dims) == ["Operation", "TableName"]
        assert dims["TableName"] == table_ref
        operations[query["Id"]] = dims["Operation"]
    return returned[0]["Expression"], operations


def assert_zero_filled_sum(expression: str, metric_ids: set[str]) -> None:
    """``FILL(m1, 0) + FILL(m2, 0) + ...``: every term filled with 0, each metric exactly once."""
    terms = expression.split(" + ")
    filled = [re.fullmatch(r"FILL\((m\d+), 0\)", term) for term in terms]
    assert all(filled), expression
    assert sorted(match.group(1) for match in filled if match) == sorted(metric_ids)


def test_table_throttles_alarm_sums_zero_filled_throttles_per_operation(scaffold: Scaffold):
    properties = alarm(scaffold, "TableThrottledRequests")
    expression, operations = throttled_requests_by_operation(
        properties["Metrics"], {"Ref": scaffold.logical_id(scaffold.table)}
    )
    assert_zero_filled_sum(expression, set(operations))
    assert sorted(operations.values()) == sorted(DEFAULT_THROTTLE_OPERATIONS)
    assert len(operations) <= MAX_ALARM_METRICS
    assert properties["Threshold"] == 1
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    # DynamoDB's metrics arrive late and FILL reads the newest minute as 0 until they do: look back 3.
    assert (properties["EvaluationPeriods"], properties["DatapointsToAlarm"]) == (3, 1)


def test_concurrency_alarm_trips_at_80_percent_of_reserved(scaffold: Scaffold):
    properties = alarm(scaffold, "ConcurrencyNearReservedLimit")
    assert properties["Namespace"] == "AWS/Lambda"
    assert properties["MetricName"] == "ConcurrentExecutions"
    assert properties["Statistic"] == "Maximum"
    assert dimensions(properties) == {"FunctionName": {"Ref": scaffold.logical_id(scaffold.function)}}
    assert properties["Threshold"] == 8 == RESERVED_CONCURRENCY * 0.8
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert (properties["EvaluationPeriods"], properties["DatapointsToAlarm"]) == (3, 3)


def test_no_reserved_concurrency_means_no_concurrency_alarm(scaffold_app: ScaffoldApp):
    bare = scaffold_app.stacks["all_at_once"]
    names = [a["Properties"]["AlarmName"] for a in of_type(bare, "AWS::CloudWatch::Alarm").values()]
    assert not any("concurrency" in name for name in names)
    assert [a.node.id for a in bare.monitoring.alarms] == ["TableThrottledRequests"]


# --- dashboard ----------------------------------------------------------------------------------


def dashboard_body(scaffold: Scaffold) -> dict[str, Any]:
    """The dashboard JSON with CloudFormation references rendered as ``<Ref:Id>`` placeholders."""
    _, dashboard = only(scaffold, "AWS::CloudWatch::Dashboard")
    body = dashboard["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    text = "".join(
        p
        if isinstance(p, str)
        else f"<{next(iter(p))}:{json.dumps(next(iter(p.values())))}>".replace('"', "")
        for p in parts
    )
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def graph_metrics(widget: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(namespace, metric name, stat) of each plotted metric."""
    found = []
    for entry in widget["properties"].get("metrics", []):
        if isinstance(entry[-1], dict) and "expression" in entry[-1]:
            continue
        options = entry[-1] if isinstance(entry[-1], dict) else {}
        found.append((entry[0], entry[1], options.get("stat", "Average")))
    return found


def test_dashboard_is_named_and_shows_every_signal(scaffold: Scaffold):
    _, dashboard = only(scaffold, "AWS::CloudWatch::Dashboard")
    assert dashboard["Properties"]["DashboardName"] == DASHBOARD_NAME
    widgets = {w["properties"]["title"]: w for w in dashboard_body(scaffold)["widgets"]}
    assert graph_metrics(widgets["API requests"]) == [("AWS/ApiGateway", "Count", "Sum")]
    assert graph_metrics(widgets["API 4xx / 5xx"]) == [
        ("AWS/ApiGateway", "4xx", "Sum"),
        ("AWS/ApiGateway", "5xx", "Sum"),
    ]
    assert graph_metrics(widgets["API latency (ms)"]) == [
        ("AWS/ApiGateway", "Latency", "p50"),
        ("AWS/ApiGateway", "Latency", "p99"),
    ]
    assert graph_metrics(widgets["Lambda duration (ms)"]) == [
        ("AWS/Lambda", "Duration", "p50"),
        ("AWS/Lambda", "Duration", "p99"),
    ]
    assert graph_metrics(widgets["Lambda errors / throttles"]) == [
        ("AWS/Lambda", "Errors", "Sum"),
        ("AWS/Lambda", "Throttles", "Sum"),
    ]
    assert graph_metrics(widgets["Lambda concurrent executions"]) == [
        ("AWS/Lambda", "ConcurrentExecutions", "Maximum")
    ]
    assert widgets["Lambda concurrent executions"]["properties"]["annotations"]["horizontal"][0]["value"] == (
        RESERVED_CONCURRENCY
    )
    assert graph_metrics(widgets["DynamoDB consumed capacity"]) == [
        ("AWS/DynamoDB", "ConsumedReadCapacityUnits", "Sum"),
        ("AWS/DynamoDB", "ConsumedWriteCapacityUnits", "Sum"),
    ]
    throttles = widgets["DynamoDB throttled requests"]["properties"]["metrics"]
    (shown,) = [entry[-1] for entry in throttles if "expression" in entry[-1]]
    terms = [entry for entry in throttles if "expression" not in entry[-1]]
    assert {tuple(entry[:2]) for entry in terms} == {("AWS/DynamoDB", "ThrottledRequests")}
    assert all(entry[-1]["visible"] is False for entry in terms)
    assert_zero_filled_sum(shown["expression"], {entry[-1]["id"] for entry in terms})
    assert sorted(entry[entry.index("Operation") + 1] for entry in terms) == sorted(
        DEFAULT_THROTTLE_OPERATIONS
    )
    assert widgets["Alarms"]["type"] == "alarm"
    assert len(widgets["Alarms"]["properties"]["alarms"]) == 9


def test_dashboard_api_metrics_are_those_of_the_stage(scaffold: Scaffold):
    api_ref = f"<Ref:{scaffold.logical_id(scaffold.api)}>"
    widgets = {w["properties"]["title"]: w for w in dashboard_body(scaffold)["widgets"]}
    for title in ("API requests", "API 4xx / 5xx", "API latency (ms)"):
        for entry in widgets[title]["properties"]["metrics"]:
            assert entry[2:6] == ["ApiId", api_ref, "Stage", "$default"], title


# --- validation -------------------------------------------------------------------------------


def valid_props(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "reserved_concurrency": 10,
        "concurrency_alarm_ratio": 0.8,
        "throttled_requests_threshold": 1,
        "throttle_operations": DEFAULT_THROTTLE_OPERATIONS,
    }
    return props | changes


def test_valid_props_pass():
    _validate(**valid_props())


def test_operation_names_are_those_of_the_dynamodb_api():
    """The ``Operation`` dimension holds API operation names; botocore's models list the real ones."""
    session = botocore.session.get_session()
    api = {
        *session.get_service_model("dynamodb").operation_names,
        *session.get_service_model("dynamodbstreams").operation_names,
    }
    assert DYNAMODB_OPERATIONS.issubset(api)
    assert DYNAMODB_OPERATIONS.issuperset(DEFAULT_THROTTLE_OPERATIONS)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reserved_concurrency": 0}, "reserved_concurrency"),
        ({"concurrency_alarm_ratio": 1.5}, "concurrency_alarm_ratio"),
        ({"concurrency_alarm_ratio": 0}, "concurrency_alarm_ratio"),
        ({"throttled_requests_threshold": 0}, "throttled_requests_threshold"),
        ({"throttle_operations": sorted(DYNAMODB_OPERATIONS)}, "throttle_operations"),
        ({"throttle_operations": ()}, "throttle_operations"),
        ({"throttle_operations": ["GetItem", "get_item"]}, "throttle_operations"),
        ({"throttle_operations": ["Query", "Query"]}, "throttle_operations"),
    ],
)
def test_invalid_props_name_the_prop(changes: dict[str, Any], field: str):
    with pytest.raises(ValueError, match=field):
        _validate(**valid_props(**changes))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"https_urls": ("http://hooks.example.com",)}, "NotificationSettings.https_urls"),
        ({"emails": ("oncall",)}, "NotificationSettings.emails"),
    ],
)
def test_invalid_notifications_name_the_field(changes: dict[str, Any], field: str):
    with pytest.raises(PropsError, match=rf"^{field}: "):
        NotificationSettings(**changes)
