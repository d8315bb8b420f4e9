"""The CanaryDeployment construct as synthesized: deployment group, rollback alarms, pre-traffic hook."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from runtime import contract
from serverless_fastapi_cdk.alarms import alarm_name
from serverless_fastapi_cdk.canary_deployment import (
    ENV_HEALTH_PATH,
    ENV_HEALTH_VERSION_FIELD,
    ENV_TARGET_TIMEOUT_SECONDS,
    ENV_TARGET_VERSION_ARN,
    PRE_TRAFFIC_HANDLER,
    RollbackThresholds,
    TrafficShift,
    TrafficShifting,
    hook_timeout,
)
from tests.support.scaffold import (
    ALARM_PREFIX,
    CUSTOM_CANARY_PERCENT,
    METRICS_NAMESPACE,
    SERVICE_NAME,
    THRESHOLDS,
    Scaffold,
    ScaffoldApp,
)

ROLLBACK_ALARMS = (
    "NewVersionErrors",
    "NewVersionThrottles",
    "ApiLatencyP99",
    "UnhandledErrors",
    "NewVersionServerErrorRate",
    "NewVersionClientErrorRate",
)
STAGE_ALARMS = ("ApiServerErrorRate",)


def of_type(scaffold: Scaffold, resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in scaffold.resources.items() if v["Type"] == resource_type}


def only(scaffold: Scaffold, resource_type: str) -> tuple[str, dict[str, Any]]:
    found = of_type(scaffold, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def alarm(scaffold: Scaffold, construct_id: str) -> dict[str, Any]:
    name = alarm_name(ALARM_PREFIX, construct_id)
    matches = [
        r["Properties"]
        for r in of_type(scaffold, "AWS::CloudWatch::Alarm").values()
        if r["Properties"]["AlarmName"] == name
    ]
    assert len(matches) == 1, f"no single alarm named {name}"
    found: dict[str, Any] = matches[0]
    return found


def dimensions(properties: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {d["Name"]: d["Value"] for d in properties["Dimensions"]}
    return found


def version_id(scaffold: Scaffold) -> str:
    """Logical id of the version the alias points at (the one a deployment publishes)."""
    _, alias = only(scaffold, "AWS::Lambda::Alias")
    function_version = alias["Properties"]["FunctionVersion"]
    assert function_version["Fn::GetAtt"][1] == "Version"
    target: str = function_version["Fn::GetAtt"][0]
    return target


# --- deployment group ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "config_name"),
    [
        ("default", "CodeDeployDefault.LambdaCanary10Percent5Minutes"),
        ("all_at_once", "CodeDeployDefault.LambdaAllAtOnce"),
        ("linear", "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"),
    ],
)
def test_predefined_deployment_config_is_selectable(scaffold_app: ScaffoldApp, stack: str, config_name: str):
    _, group = only(scaffold_app.stacks[stack], "AWS::CodeDeploy::DeploymentGroup")
    assert group["Properties"]["DeploymentConfigName"] == config_name


def test_custom_deployment_config_is_created_and_used(scaffold_app: ScaffoldApp):
    custom = scaffold_app.stacks["custom"]
    config_id, config = only(custom, "AWS::CodeDeploy::DeploymentConfig")
    assert config["Properties"]["ComputePlatform"] == "Lambda"
    assert config["Properties"]["TrafficRoutingConfig"] == {
        "Type": "TimeBasedCanary",
        "TimeBasedCanary": {"CanaryInterval": 3, "CanaryPercentage": CUSTOM_CANARY_PERCENT},
    }
    _, group = only(custom, "AWS::CodeDeploy::DeploymentGroup")
    assert group["Properties"]["DeploymentConfigName"] == {"Ref": config_id}


def test_deployment_group_shifts_the_alias_traffic(scaffold: Scaffold):
    group_id, group = only(scaffold, "AWS::CodeDeploy::DeploymentGroup")
    assert group["Properties"]["DeploymentStyle"] == {
        "DeploymentOption": "WITH_TRAFFIC_CONTROL",
        "DeploymentType": "BLUE_GREEN",
    }
    _, alias = only(scaffold, "AWS::Lambda::Alias")
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["DeploymentGroupName"] == {"Ref": group_id}
    assert update["ApplicationName"] == group["Properties"]["ApplicationName"]


def test_rolls_back_on_failure_and_on_alarm(scaffold: Scaffold):
    _, group = only(scaffold, "AWS::CodeDeploy::DeploymentGroup")
    rollback = group["Properties"]["AutoRollbackConfiguration"]
    assert rollback["Enabled"] is True
    assert set(rollback["Events"]) == {
        "DEPLOYMENT_FAILURE",
        "DEPLOYMENT_STOP_ON_ALARM",
        "DEPLOYMENT_STOP_ON_REQUEST",
    }


def test_deployment_group_watches_exactly_the_rollback_alarms(scaffold: Scaffold):
    _, group = only(scaffold, "AWS::CodeDeploy::DeploymentGroup")
    configuration = group["Properties"]["AlarmConfiguration"]
    assert configuration["Enabled"] is True
    assert configuration.get("IgnorePollAlarmFailure", False) is False
    watched = [a["Name"]["Ref"] for a in configuration["Alarms"]]
    assert watched == [scaffold.logical_id(a) for a in scaffold.canary.alarms]
    assert [alarm(scaffold, i)["AlarmName"] for i in ROLLBACK_ALARMS] == [
        scaffold.resources[w]["Properties"]["AlarmName"] for w in watched
    ]


# --- rollback alarms ----------------------------------------------------------------------------


@pytest.mark.parametrize("construct_id", ROLLBACK_ALARMS + STAGE_ALARMS)
def test_every_rollback_alarm_ignores_missing_data_and_notifies(scaffold: Scaffold, construct_id: str):
    properties = alarm(scaffold, construct_id)
    topic_id, _ = only(scaffold, "AWS::SNS::Topic")
    assert properties["TreatMissingData"] == "notBreaching"
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert properties["EvaluationPeriods"] == THRESHOLDS.evaluation_periods
    assert properties["DatapointsToAlarm"] == THRESHOLDS.datapoints_to_alarm
    assert properties["AlarmActions"] == [{"Ref": topic_id}]


@pytest.mark.parametrize(
    ("construct_id", "metric_name", "threshold"),
    [
        ("NewVersionErrors", "Errors", THRESHOLDS.new_version_errors),
        ("NewVersionThrottles", "Throttles", THRESHOLDS.new_version_throttles),
    ],
)
def test_lambda_alarms_watch_only_the_new_version(
    scaffold: Scaffold, construct_id: str, metric_name: str, threshold: int
):
    properties = alarm(scaffold, construct_id)
    function_id = scaffold.logical_id(scaffold.function)
    assert properties["Namespace"] == "AWS/Lambda"
    assert properties["MetricName"] == metric_name
    assert properties["Statistic"] == "Sum"
    assert properties["Period"] == 60
    assert properties["Threshold"] == threshold
    # Alias invocations are published per executed version under FunctionName + Resource=<fn>:<alias>.
    assert dimensions(properties) == {
        "FunctionName": {"Ref": function_id},
        "Resource": {"Fn::Join": ["", [{"Ref": function_id}, ":live"]]},
        "ExecutedVersion": {"Fn::GetAtt": [version_id(scaffold), "Version"]},
    }


def test_api_5xx_rate_is_errors_over_requests_of_the_stage_and_only_notifies(scaffold: Scaffold):
    properties = alarm(scaffold, "ApiServerErrorRate")
    assert [scaffold.logical_id(a) for a in scaffold.canary.stage_alarms] == [
        scaffold.logical_id(a) for a in scaffold.canary.stage_alarms if a not in scaffold.canary.alarms
    ]
    assert properties["AlarmDescription"].startswith("Notifies only:")
    api_id = scaffold.logical_id(scaffold.api)
    assert properties["Threshold"] == THRESHOLDS.api_5xx_rate_percent
    queries = {q["Id"]: q for q in properties["Metrics"]}
    returned = [q for q in queries.values() if q.get("ReturnData", True)]
    assert len(returned) == 1
    assert returned[0]["Expression"] == "100 * errors / requests"
    stage_dims = [{"Name": "ApiId", "Value": {"Ref": api_id}}, {"Name": "Stage", "Value": "$default"}]
    assert queries["errors"]["MetricStat"] == {
        "Metric": {"Namespace": "AWS/ApiGateway", "MetricName": "5xx", "Dimensions": stage_dims},
        "Period": 60,
        "Stat": "Sum",
    }
    assert queries["requests"]["MetricStat"] == {
        "Metric": {"Namespace": "AWS/ApiGateway", "MetricName": "Count", "Dimensions": stage_dims},
        "Period": 60,
        "Stat": "SampleCount",
    }


def test_api_p99_latency_of_the_stage(scaffold: Scaffold):
    properties = alarm(scaffold, "ApiLatencyP99")
    assert properties["Namespace"] == "AWS/ApiGateway"
    assert properties["MetricName"] == "Latency"
    assert properties["ExtendedStatistic"] == "p99"
    assert "Statistic" not in properties
    assert properties["Period"] == 60
    assert properties["Threshold"] == THRESHOLDS.api_p99_latency_ms
    assert dimensions(properties) == {
        "ApiId": {"Ref": scaffold.logical_id(scaffold.api)},
        "Stage": "$default",
    }


@pytest.mark.parametrize(
    ("construct_id", "metric_name", "threshold"),
    [
        (
            "NewVersionServerErrorRate",
            contract.METRIC_SERVER_ERRORS,
            THRESHOLDS.new_version_server_error_rate_percent,
        ),
        (
            "NewVersionClientErrorRate",
            contract.METRIC_CLIENT_ERRORS,
            THRESHOLDS.new_version_client_error_rate_percent,
        ),
    ],
)
def test_error_rate_alarms_watch_the_new_versions_requests_above_a_floor(
    scaffold: Scaffold, construct_id: str, metric_name: str, threshold: float
):
    """Errors (Sum of the 0/1 datum) over requests (its SampleCount) of the new version, 0 below the floor."""
    properties = alarm(scaffold, construct_id)
    assert properties["Threshold"] == threshold
    queries = {q["Id"]: q for q in properties["Metrics"]}
    (returned,) = [q for q in queries.values() if q.get("ReturnData", True)]
    assert returned["Expression"] == (
        f"IF(requests >= {THRESHOLDS.new_version_min_requests}, 100 * errors / requests, 0)"
    )
    by_version = [
        {
            "Name": contract.METRIC_VERSION_DIMENSION,
            "Value": {"Fn::GetAtt": [version_id(scaffold), "Version"]},
        },
        {"Name": contract.METRIC_SERVICE_DIMENSION, "Value": SERVICE_NAME},
    ]
    for query_id, statistic in (("errors", "Sum"), ("requests", "SampleCount")):
        assert queries[query_id]["MetricStat"] == {
            "Metric": {"Namespace": METRICS_NAMESPACE, "MetricName": metric_name, "Dimensions": by_version},
            "Period": 60,
            "Stat": statistic,
        }
        assert queries[query_id]["ReturnData"] is False


def test_unhandled_errors_alarm_matches_the_functions_powertools_settings(scaffold: Scaffold):
    properties = alarm(scaffold, "UnhandledErrors")
    variables = scaffold.resources[scaffold.logical_id(scaffold.function)]["Properties"]["Environment"][
        "Variables"
    ]
    assert properties["Namespace"] == variables["POWERTOOLS_METRICS_NAMESPACE"] == METRICS_NAMESPACE
    assert properties["MetricName"] == contract.METRIC_UNHANDLED_ERRORS
    assert dimensions(properties) == {
        contract.METRIC_SERVICE_DIMENSION: variables["POWERTOOLS_SERVICE_NAME"],
        contract.METRIC_VERSION_DIMENSION: {"Fn::GetAtt": [version_id(scaffold), "Version"]},
    }
    assert variables["POWERTOOLS_SERVICE_NAME"] == SERVICE_NAME
    assert properties["Statistic"] == "Sum"
    assert properties["Threshold"] == THRESHOLDS.unhandled_errors


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"evaluation_periods": 2, "datapoints_to_alarm": 3}, "datapoints_to_alarm"),
        ({"datapoints_to_alarm": 0}, "datapoints_to_alarm"),
        ({"new_version_errors": 0}, "new_version_errors"),
        ({"api_5xx_rate_percent": 0.0}, "api_5xx_rate_percent"),
        ({"api_p99_latency_ms": 0}, "api_p99_latency_ms"),
        ({"unhandled_errors": -1}, "unhandled_errors"),
        ({"new_version_client_error_rate_percent": 0}, "new_version_client_error_rate_percent"),
        ({"new_version_server_error_rate_percent": -1.0}, "new_version_server_error_rate_percent"),
        ({"new_version_min_requests": 0}, "new_version_min_requests"),
    ],
)
def test_invalid_thresholds_name_the_field(changes: dict[str, Any], field: str):
    with pytest.raises(ValueError, match=f"RollbackThresholds.{field}"):
        RollbackThresholds(**changes)


# --- pre-traffic hook ---------------------------------------------------------------------------


def hook(scaffold: Scaffold) -> tuple[str, dict[str, Any]]:
    assert scaffold.canary.pre_traffic_hook is not None
    hook_id = scaffold.logical_id(scaffold.canary.pre_traffic_hook)
    return hook_id, scaffold.resources[hook_id]


def test_hook_runs_before_traffic_shifts(scaffold: Scaffold):
    hook_id, _ = hook(scaffold)
    _, alias = only(scaffold, "AWS::Lambda::Alias")
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["BeforeAllowTrafficHook"] == {"Ref": hook_id}
    assert "AfterAllowTrafficHook" not in update


def test_hook_targets_the_version_the_alias_moves_to(scaffold: Scaffold):
    _, function = hook(scaffold)
    properties = function["Properties"]
    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["arm64"]
    assert properties["Handler"] == PRE_TRAFFIC_HANDLER
    assert properties["Environment"]["Variables"] == {
        ENV_TARGET_VERSION_ARN: {"Ref": version_id(scaffold)},
        ENV_TARGET_TIMEOUT_SECONDS: "10",
        ENV_HEALTH_PATH: contract.HEALTH_PATH,
        ENV_HEALTH_VERSION_FIELD: contract.HEALTH_FUNCTION_VERSION_FIELD,
    }
    assert properties["Timeout"] == 9 * (10 + 5) + 30
    assert properties["LoggingConfig"]["LogFormat"] == "JSON"


def test_hook_role_may_only_log_invoke_the_new_version_and_report_to_its_group(scaffold: Scaffold):
    _, function = hook(scaffold)
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role = scaffold.resources[role_id]["Properties"]
    assert "ManagedPolicyArns" not in role
    assert "Policies" not in role
    policies = [
        p["Properties"]
        for p in of_type(scaffold, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    assert len(policies) == 1
    statements = policies[0]["PolicyDocument"]["Statement"]
    log_group_id = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    group_id, group = only(scaffold, "AWS::CodeDeploy::DeploymentGroup")
    assert statements == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        },
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": {"Ref": version_id(scaffold)}},
        {
            "Action": "codedeploy:PutLifecycleEventHookExecutionStatus",
            "Effect": "Allow",
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":codedeploy:eu-west-1:123456789012:deploymentgroup:",
                        group["Properties"]["ApplicationName"],
                        "/",
                        {"Ref": group_id},
                    ],
                ]
            },
        },
    ]


def test_codedeploy_may_invoke_only_the_hook(scaffold: Scaffold):
    hook_id, _ = hook(scaffold)
    _, group = only(scaffold, "AWS::CodeDeploy::DeploymentGroup")
    role_id = group["Properties"]["ServiceRoleArn"]["Fn::GetAtt"][0]
    role = scaffold.resources[role_id]["Properties"]
    assert role["ManagedPolicyArns"] == [
        {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    {"Ref": "AWS::Partition"},
                    ":iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited",
                ],
            ]
        }
    ]
    policies = [
        p["Properties"]
        for p in of_type(scaffold, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    assert [p["PolicyDocument"]["Statement"] for p in policies] == [
        [
            {
                "Action": "lambda:InvokeFunction",
                "Effect": "Allow",
                "Resource": [
                    {"Fn::GetAtt": [hook_id, "Arn"]},
                    {"Fn::Join": ["", [{"Fn::GetAtt": [hook_id, "Arn"]}, ":*"]]},
                ],
            }
        ]
    ]


def test_hook_can_be_left_out(scaffold_app: ScaffoldApp):
    no_hook = scaffold_app.stacks["no_hook"]
    assert no_hook.canary.pre_traffic_hook is None
    _, alias = only(no_hook, "AWS::Lambda::Alias")
    assert "BeforeAllowTrafficHook" not in alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    functions = of_type(no_hook, "AWS::Lambda::Function")
    assert list(functions) == [no_hook.logical_id(no_hook.function)]


# --- template integrity -------------------------------------------------------------------------


def references(value: Any) -> set[str]:
    """Logical ids a template fragment refers to (Ref, Fn::GetAtt, ${} in Fn::Sub)."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            return {value["Ref"]}
        if "Fn::GetAtt" in value:
            return {value["Fn::GetAtt"][0]}
        return set().union(*(references(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(references(v) for v in value)) if value else set()
    return set()


def assert_no_dependency_cycle(resources: dict[str, Any]) -> None:
    """Fail with the resources involved if Ref/GetAtt/DependsOn edges (UpdatePolicy included) form a loop."""
    edges = {
        logical_id: (references(r) | set(r.get("DependsOn", []))) & resources.keys()
        for logical_id, r in resources.items()
    }
    done: set[str] = set()
    while len(done) < len(edges):
        ready = {node for node, targets in edges.items() if node not in done and targets <= done}
        assert ready, f"dependency cycle among {sorted(set(edges) - done)}"
        done |= ready


def dependencies(resources: dict[str, Any], logical_id: str) -> set[str]:
    """Every resource ``logical_id`` waits for, transitively: ``Ref``/``GetAtt`` anywhere in it and
    ``DependsOn``.

    ``UpdatePolicy`` counts: CloudFormation orders by references there too (cfn-lint's W3005 calls a
    ``DependsOn`` that repeats an ``UpdatePolicy`` reference redundant, and aws/aws-cdk#2231 was a circular
    dependency CloudFormation found through the alias' ``CodeDeployLambdaAliasUpdate``).
    """
    found: set[str] = set()
    pending = [logical_id]
    while pending:
        resource = resources[pending.pop()]
        new = ((references(resource) | set(resource.get("DependsOn", []))) & resources.keys()) - found
        found |= new
        pending.extend(new)
    return found


def assert_alias_updates_last(resources: dict[str, Any], alias_id: str, hook_ids: set[str]) -> None:
    """The alias' update, which CodeDeploy's deployment is, waits for all it needs to exist and be current:
    the deployment group with its application, service role and policy, every alarm the group watches, and
    each hook with its role and policy (the grants to invoke the new version and to report)."""
    groups = {k: v for k, v in resources.items() if v["Type"] == "AWS::CodeDeploy::DeploymentGroup"}
    ((group_id, group),) = groups.items()
    properties = group["Properties"]
    roles = {properties["ServiceRoleArn"]["Fn::GetAtt"][0]}
    roles |= {resources[hook]["Properties"]["Role"]["Fn::GetAtt"][0] for hook in hook_ids}
    role_policies = {
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::IAM::Policy"
        and any({"Ref": role} in resource["Properties"]["Roles"] for role in roles)
    }
    required = {
        group_id,
        properties["ApplicationName"]["Ref"],
        *{alarm["Name"]["Ref"] for alarm in properties["AlarmConfiguration"]["Alarms"]},
        *hook_ids,
        *roles,
        *role_policies,
    }
    missing = required - dependencies(resources, alias_id)
    assert not missing, f"the alias would be updated without waiting for {sorted(missing)}"


@pytest.mark.parametrize("stack", ["default", "custom", "no_hook"])
def test_alias_is_updated_after_the_group_its_alarms_and_the_hook(scaffold_app: ScaffoldApp, stack: str):
    scaffold = scaffold_app.stacks[stack]
    hook = scaffold.canary.pre_traffic_hook
    hooks = {scaffold.logical_id(hook)} if hook is not None else set()
    assert_alias_updates_last(scaffold.resources, scaffold.logical_id(scaffold.alias), hooks)


def without_alias_depends_on(resources: dict[str, Any], alias_id: str) -> None:
    del resources[alias_id]["DependsOn"]


def with_group_named_literally(resources: dict[str, Any], alias_id: str) -> None:
    update = resources[alias_id]["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    update["DeploymentGroupName"] = update["ApplicationName"] = "items-deployment-group"


@pytest.mark.parametrize(
    ("stack", "break_edge", "missing"),
    [
        ("default", without_alias_depends_on, "ServiceRoleDefaultPolicy"),
        ("no_hook", with_group_named_literally, "DeploymentGroup"),
    ],
)
def test_alias_ordering_check_detects_a_missing_edge(
    scaffold_app: ScaffoldApp, stack: str, break_edge: Any, missing: str
):
    """The control: without the alias' ``DependsOn`` on CodeDeploy's grant to invoke the hook, or with the
    group named by a literal instead of a ``Ref``, the check fails naming what the alias no longer awaits."""
    scaffold = scaffold_app.stacks[stack]
    resources = json.loads(json.dumps(scaffold.resources))
    alias_id = scaffold.logical_id(scaffold.alias)
    hook = scaffold.canary.pre_traffic_hook
    break_edge(resources, alias_id)
    with pytest.raises(AssertionError, match=f"without waiting for .*{missing}"):
        assert_alias_updates_last(resources, alias_id, {scaffold.logical_id(hook)} if hook else set())


@pytest.mark.parametrize("stack", ["default", "custom", "no_hook"])
def test_no_dependency_cycle(scaffold_app: ScaffoldApp, stack: str):
    """Alarms on the new version, the hook's grants and the alias update policy must not form a loop."""
    assert_no_dependency_cycle(scaffold_app.stacks[stack].resources)


def test_cycle_check_detects_a_loop():
    looped = {
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"X": {"Ref": "Group"}}},
        "Group": {
            "Type": "AWS::CodeDeploy::DeploymentGroup",
            "Properties": {"Y": {"Fn::GetAtt": ["Alias", "A"]}},
        },
        "Alias": {"Type": "AWS::Lambda::Alias", "UpdatePolicy": {"Z": {"Ref": "Alarm"}}},
    }
    with pytest.raises(AssertionError, match="Alarm"):
        assert_no_dependency_cycle(looped)


def test_acknowledgements_are_narrow_and_explained(scaffold_app: ScaffoldApp):
    hook_id = scaffold_app.stacks["default"].logical_id(
        scaffold_app.stacks["default"].canary.pre_traffic_hook
    )
    ours = {
        path: rules
        for path, rules in scaffold_app.acknowledgements.items()
        if path.startswith(("/Default/Canary", "/Default/Monitoring"))
    }
    assert {path: sorted(rules) for path, rules in ours.items()} == {
        "/Default/Canary/PreTrafficHook": [
            "AwsSolutions-L1",
            "Serverless-LambdaDLQ",
            "Serverless-LambdaLatestVersion",
            "Serverless-LambdaTracing",
        ],
        "/Default/Canary/DeploymentGroup/ServiceRole": [
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]",
            f"AwsSolutions-IAM5[Resource::<{hook_id}.Arn>:*]",
        ],
        "/Default/Monitoring/NotificationDeadLetters": ["AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"],
    }
    assert all(len(reason) > 40 for rules in ours.values() for reason in rules.values())


# --- traffic shifting styles --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shift", "percentage", "interval", "config_name"),
    [
        ("all_at_once", 100, 0, "CodeDeployDefault.LambdaAllAtOnce"),
        ("canary", 10, 5, "CodeDeployDefault.LambdaCanary10Percent5Minutes"),
        ("canary", 10, 30, "CodeDeployDefault.LambdaCanary10Percent30Minutes"),
        ("linear", 10, 1, "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"),
        ("linear", 10, 10, "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes"),
    ],
)
def test_styles_codedeploy_predefines_use_its_config(
    shift: str, percentage: int, interval: int, config_name: str
):
    stack = cdk.Stack(cdk.App())
    config = TrafficShifting(
        shift=TrafficShift(shift), percentage=percentage, interval_minutes=interval
    ).deployment_config(stack, "Shift")
    assert stack.resolve(config.deployment_config_name) == config_name
    assert Template.from_stack(stack).to_json().get("Resources", {}) == {}


@pytest.mark.parametrize(
    ("shift", "routing"),
    [
        (
            "canary",
            {"Type": "TimeBasedCanary", "TimeBasedCanary": {"CanaryInterval": 7, "CanaryPercentage": 20}},
        ),
        (
            "linear",
            {"Type": "TimeBasedLinear", "TimeBasedLinear": {"LinearInterval": 7, "LinearPercentage": 20}},
        ),
    ],
)
def test_other_styles_get_a_custom_config(shift: str, routing: dict[str, Any]):
    stack = cdk.Stack(cdk.App())
    TrafficShifting(shift=TrafficShift(shift), percentage=20, interval_minutes=7).deployment_config(
        stack, "Shift"
    )
    (config,) = Template.from_stack(stack).find_resources("AWS::CodeDeploy::DeploymentConfig").values()
    assert config["Properties"] == {"ComputePlatform": "Lambda", "TrafficRoutingConfig": routing}


def test_unknown_style_is_refused():
    with pytest.raises(ValueError, match="'blue_green' is not a valid TrafficShift"):
        TrafficShift("blue_green")


@pytest.mark.parametrize(
    ("function_seconds", "hook_seconds"), [(3, 9 * 8 + 30), (10, 165), (29, 9 * 34 + 30), (120, 900)]
)
def test_hook_timeout_fits_every_call_at_the_function_timeout_up_to_lambdas_limit(
    function_seconds: int, hook_seconds: int
):
    assert hook_timeout(cdk.Duration.seconds(function_seconds), calls=9).to_seconds() == hook_seconds
