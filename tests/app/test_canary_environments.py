"""Safe delivery as each environment of the real app deploys it (the app's session synthesis).

The fixtures come from tests/support/cdk_synthesis.py: ``synthesized_app`` synthesizes app.py once per
session with cdk.json's context, and ``environment`` runs a test for dev, staging and prod.
"""

from __future__ import annotations

import json
import math
from typing import Any

from aws_cdk import Duration

from cdk_app import service
from cdk_app.config import ENVIRONMENTS, EnvironmentConfig
from runtime import contract
from serverless_fastapi_cdk.canary_deployment import (
    ENV_HEALTH_PATH,
    ENV_HEALTH_VERSION_FIELD,
    ENV_TARGET_TIMEOUT_SECONDS,
    ENV_TARGET_VERSION_ARN,
    hook_timeout,
)
from tests.constructs.test_canary_deployment import (
    assert_alias_updates_last,
    assert_no_dependency_cycle,
    dimensions,
)
from tests.constructs.test_monitoring import assert_zero_filled_sum, throttled_requests_by_operation
from tests.support.cdk_synthesis import SynthesizedApp, logical_id

CONFIGS = {config.name: config for config in ENVIRONMENTS}
DEPLOYMENT_CONFIG = {
    "dev": "CodeDeployDefault.LambdaAllAtOnce",
    "staging": "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
    "prod": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
}
ROLLBACK_ALARMS = {
    "new-version-errors": ("AWS/Lambda", "Errors"),
    "new-version-throttles": ("AWS/Lambda", "Throttles"),
    "api-latency-p99": ("AWS/ApiGateway", "Latency"),
    "unhandled-errors": (None, contract.METRIC_UNHANDLED_ERRORS),
    "new-version-server-error-rate": (None, None),
    "new-version-client-error-rate": (None, None),
}
OPERATIONAL_ALARMS = ("api-server-error-rate", "table-throttled-requests", "concurrency-near-reserved-limit")


def stateless(app: SynthesizedApp, environment: str) -> tuple[Any, dict[str, dict[str, Any]]]:
    stack = app.stages[environment].stateless.service
    resources: dict[str, dict[str, Any]] = app.template_json(environment, "Stateless")["Resources"]
    return stack, resources


def of_type(resources: dict[str, dict[str, Any]], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in resources.items() if v["Type"] == resource_type}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def alarms_by_name(resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["AlarmName"]: r["Properties"]
        for r in of_type(resources, "AWS::CloudWatch::Alarm").values()
    }


def test_deployment_style_follows_the_environment(synthesized_app, environment):
    _, resources = stateless(synthesized_app, environment)
    (group,) = of_type(resources, "AWS::CodeDeploy::DeploymentGroup").values()
    assert group["Properties"]["DeploymentConfigName"] == DEPLOYMENT_CONFIG[environment]
    assert set(group["Properties"]["AutoRollbackConfiguration"]["Events"]) >= {
        "DEPLOYMENT_FAILURE",
        "DEPLOYMENT_STOP_ON_ALARM",
    }
    assert of_type(resources, "AWS::CodeDeploy::DeploymentConfig") == {}


def test_codedeploy_controls_the_live_alias_with_the_pre_traffic_hook(synthesized_app, environment):
    stack, resources = stateless(synthesized_app, environment)
    config = synthesized_app.stages[environment].config
    alias = resources[logical_id(stack.alias)]
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["DeploymentGroupName"] == {"Ref": logical_id(stack.canary.deployment_group)}
    assert update["BeforeAllowTrafficHook"] == {"Ref": logical_id(stack.canary.pre_traffic_hook)}
    version = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
    hook = resources[logical_id(stack.canary.pre_traffic_hook)]["Properties"]
    assert hook["Environment"]["Variables"] == {
        ENV_TARGET_VERSION_ARN: {"Ref": version},
        ENV_TARGET_TIMEOUT_SECONDS: str(config.timeout_seconds),
        ENV_HEALTH_PATH: contract.HEALTH_PATH,
        ENV_HEALTH_VERSION_FIELD: contract.HEALTH_FUNCTION_VERSION_FIELD,
    }
    timeout = hook_timeout(Duration.seconds(config.timeout_seconds), calls=service.DEPLOYMENT_CHECKS.calls)
    assert hook["Timeout"] == timeout.to_seconds()


def test_every_alarm_is_named_for_the_environment_and_notifies_its_topic(synthesized_app, environment):
    stack, resources = stateless(synthesized_app, environment)
    alarms = alarms_by_name(resources)
    prefix = f"items-{environment}-"
    assert sorted(alarms) == sorted(prefix + name for name in (*ROLLBACK_ALARMS, *OPERATIONAL_ALARMS))
    topic = {"Ref": logical_id(stack.monitoring.topic)}
    for name, properties in alarms.items():
        assert properties["AlarmActions"] == [topic], name
        assert properties["TreatMissingData"] == "notBreaching", name
    (group,) = of_type(resources, "AWS::CodeDeploy::DeploymentGroup").values()
    watched = {
        resources[a["Name"]["Ref"]]["Properties"]["AlarmName"]
        for a in group["Properties"]["AlarmConfiguration"]["Alarms"]
    }
    assert watched == {prefix + name for name in ROLLBACK_ALARMS}


def test_rollback_thresholds_follow_the_environment(synthesized_app, environment):
    _, resources = stateless(synthesized_app, environment)
    limits = CONFIGS[environment].alarm_thresholds.rollback
    alarms = alarms_by_name(resources)
    expected = {
        "new-version-errors": limits.new_version_errors,
        "new-version-throttles": limits.new_version_throttles,
        "api-server-error-rate": limits.api_5xx_rate_percent,
        "api-latency-p99": limits.api_p99_latency_ms,
        "unhandled-errors": limits.unhandled_errors,
        "new-version-server-error-rate": limits.new_version_server_error_rate_percent,
        "new-version-client-error-rate": limits.new_version_client_error_rate_percent,
    }
    for name, threshold in expected.items():
        properties = alarms[f"items-{environment}-{name}"]
        assert properties["Threshold"] == threshold, name
        assert properties["EvaluationPeriods"] == limits.evaluation_periods, name
        assert properties["DatapointsToAlarm"] == limits.datapoints_to_alarm, name
        assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", name


def test_lambda_alarms_watch_the_version_the_alias_moves_to(synthesized_app, environment):
    stack, resources = stateless(synthesized_app, environment)
    alarms = alarms_by_name(resources)
    function = logical_id(stack.function)
    version = resources[logical_id(stack.alias)]["Properties"]["FunctionVersion"]
    for name in ("new-version-errors", "new-version-throttles"):
        properties = alarms[f"items-{environment}-{name}"]
        assert (properties["Namespace"], properties["MetricName"]) == ROLLBACK_ALARMS[name]
        assert dimensions(properties) == {
            "FunctionName": {"Ref": function},
            "Resource": {"Fn::Join": ["", [{"Ref": function}, ":live"]]},
            "ExecutedVersion": version,
        }


def test_unhandled_errors_alarm_watches_what_the_deployed_function_emits(synthesized_app, environment):
    """Namespace and ``service`` are the function's own Powertools variables; the name is the contract's."""
    stack, resources = stateless(synthesized_app, environment)
    variables = resources[logical_id(stack.function)]["Properties"]["Environment"]["Variables"]
    properties = alarms_by_name(resources)[f"items-{environment}-unhandled-errors"]
    assert properties["Namespace"] == variables["POWERTOOLS_METRICS_NAMESPACE"]
    assert properties["MetricName"] == contract.METRIC_UNHANDLED_ERRORS
    version = resources[logical_id(stack.alias)]["Properties"]["FunctionVersion"]
    assert dimensions(properties) == {
        contract.METRIC_SERVICE_DIMENSION: variables["POWERTOOLS_SERVICE_NAME"],
        contract.METRIC_VERSION_DIMENSION: version,
    }
    assert properties["Statistic"] == "Sum"


def test_error_rate_alarms_watch_the_version_the_alias_moves_to(synthesized_app, environment):
    """The 4xx and 5xx rates are those of the version CodeDeploy shifts to, above the environment's floor."""
    stack, resources = stateless(synthesized_app, environment)
    variables = resources[logical_id(stack.function)]["Properties"]["Environment"]["Variables"]
    version = resources[logical_id(stack.alias)]["Properties"]["FunctionVersion"]
    limits = CONFIGS[environment].alarm_thresholds.rollback
    alarms = alarms_by_name(resources)
    for name, metric_name in (
        ("new-version-server-error-rate", contract.METRIC_SERVER_ERRORS),
        ("new-version-client-error-rate", contract.METRIC_CLIENT_ERRORS),
    ):
        queries = {q["Id"]: q for q in alarms[f"items-{environment}-{name}"]["Metrics"]}
        assert queries["expr_1"]["Expression"].startswith(
            f"IF(requests >= {limits.new_version_min_requests},"
        )
        for query_id in ("errors", "requests"):
            metric = queries[query_id]["MetricStat"]["Metric"]
            assert metric["Namespace"] == variables["POWERTOOLS_METRICS_NAMESPACE"], name
            assert metric["MetricName"] == metric_name, name
            assert dimensions(metric) == {
                contract.METRIC_SERVICE_DIMENSION: variables["POWERTOOLS_SERVICE_NAME"],
                contract.METRIC_VERSION_DIMENSION: version,
            }, name


def test_api_alarms_watch_the_services_stage(synthesized_app, environment):
    stack, resources = stateless(synthesized_app, environment)
    stage = [
        {"Name": "ApiId", "Value": {"Ref": logical_id(stack.api.http_api)}},
        {"Name": "Stage", "Value": "$default"},
    ]
    alarms = alarms_by_name(resources)
    latency = alarms[f"items-{environment}-api-latency-p99"]
    assert latency["Dimensions"] == stage
    assert latency["ExtendedStatistic"] == "p99"
    rate = alarms[f"items-{environment}-api-server-error-rate"]
    metric_stats = [q["MetricStat"]["Metric"] for q in rate["Metrics"] if "MetricStat" in q]
    assert sorted(m["MetricName"] for m in metric_stats) == ["5xx", "Count"]
    assert all(m["Dimensions"] == stage and m["Namespace"] == "AWS/ApiGateway" for m in metric_stats)


def test_operational_alarms_follow_the_environment(synthesized_app, environment):
    stack, resources = stateless(synthesized_app, environment)
    config: EnvironmentConfig = CONFIGS[environment]
    alarms = alarms_by_name(resources)
    concurrency = alarms[f"items-{environment}-concurrency-near-reserved-limit"]
    assert concurrency["MetricName"] == "ConcurrentExecutions"
    assert concurrency["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": logical_id(stack.function)}}
    ]
    assert concurrency["Threshold"] == math.ceil(
        config.reserved_concurrency * config.alarm_thresholds.concurrency_percent / 100
    )
    throttles = alarms[f"items-{environment}-table-throttled-requests"]
    assert throttles["Threshold"] == config.alarm_thresholds.table_throttled_requests
    table_names = {
        json.dumps(dimensions(q["MetricStat"]["Metric"])["TableName"], sort_keys=True)
        for q in throttles["Metrics"]
        if "MetricStat" in q
    }
    assert len(table_names) == 1, "every operation's throttles must be those of the one table"
    (table_name,) = table_names
    expression, operations = throttled_requests_by_operation(throttles["Metrics"], json.loads(table_name))
    assert_zero_filled_sum(expression, set(operations))
    function_actions = {
        action
        for policy in of_type(resources, "AWS::IAM::Policy").values()
        if {"Ref": logical_id(stack.api_function.role)} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in as_list(statement["Action"])
        if action.startswith("dynamodb:")
    }
    assert sorted(operations.values()) == sorted(a.removeprefix("dynamodb:") for a in function_actions), (
        "the alarm must count throttles of exactly the operations the function may call"
    )


def test_dashboard_and_subscriptions_per_environment(synthesized_app, environment):
    _, resources = stateless(synthesized_app, environment)
    (dashboard,) = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == f"items-{environment}"
    notifications = CONFIGS[environment].notifications
    endpoints = sorted(
        s["Properties"]["Endpoint"] for s in of_type(resources, "AWS::SNS::Subscription").values()
    )
    assert endpoints == sorted((*notifications.emails, *notifications.https_urls))


def test_no_dependency_cycle_in_the_stateless_stack(synthesized_app, environment):
    _, resources = stateless(synthesized_app, environment)
    assert_no_dependency_cycle(resources)


def test_alias_is_updated_after_the_group_its_alarms_and_the_hooks(synthesized_app, environment):
    stack, resources = stateless(synthesized_app, environment)
    hooks = {logical_id(stack.canary.pre_traffic_hook), logical_id(stack.canary.post_traffic_hook)}
    assert_alias_updates_last(resources, logical_id(stack.alias), hooks)
