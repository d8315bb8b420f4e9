"""Safe delivery for a Lambda alias: CodeDeploy traffic shifting, rollback alarms, a pre-traffic round trip.

How a deployment proceeds: CloudFormation publishes a new function version and updates the alias; the alias'
``CodeDeployLambdaAliasUpdate`` policy hands that update to CodeDeploy, which first runs the pre-traffic
hook against the new version (a round trip through create, read, list, replace and delete of an item, by
a synthetic caller), then shifts traffic by the deployment config, watching the rollback alarms.
Any alarm in ALARM, a failed hook or a failed shift puts the alias back on the old version.

The rollback alarms watch the *new* version where CloudWatch can tell versions apart: Lambda publishes alias
invocations with the dimensions ``FunctionName``, ``Resource`` (``<function>:<alias>``) and
``ExecutedVersion``, and the runtime publishes its own metrics (unhandled errors, 4xx and 5xx per response)
by ``service`` and by ``service`` + ``function_version`` (``AWS_LAMBDA_FUNCTION_VERSION``). The version
number only exists once CloudFormation publishes it, so the alarms take it as the ``Version`` attribute of
the alias' version resource; the same update that publishes a version re-points the alarms at it before
CodeDeploy starts shifting. The order comes from references alone: the
alias' ``UpdatePolicy`` refers to the deployment group, its application and the hook (CloudFormation orders
by references there too, so an explicit ``DependsOn`` would repeat them), the group to its alarms and
service role, the hook to its role and the new version; only the service role's policy, which lets
CodeDeploy invoke the hook, is reached by nothing and gets an explicit ``DependsOn``. The HTTP API's
metrics carry no version: its p99 latency rolls back (a canary share of 1 % or more of slow requests moves
the p99), its 5xx rate, diluted by the old version's traffic, only notifies (``stage_alarms``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from cdk_app.contract import contract
from cdk_app.scanner_acknowledgements import (
    acknowledge_cfn_lint,
    acknowledge_checkov,
    acknowledge_function_baseline,
    acknowledge_log_group_encryption,
)

DEPLOYMENT_HOOKS_CODE = Path(__file__).resolve().parent.parent / "functions" / "deployment_hooks"
"""Folder of the deployment hooks' code: stdlib + boto3 modules, deployed as is."""
PRE_TRAFFIC_HANDLER = "pre_traffic.handler"
POST_TRAFFIC_HANDLER = "post_traffic.handler"

ENV_TARGET_VERSION_ARN = "TARGET_VERSION_ARN"
"""Environment variable that tells the hook which qualified version ARN to test."""
ENV_TARGET_TIMEOUT_SECONDS = "TARGET_TIMEOUT_SECONDS"
"""Environment variable holding the tested function's timeout, from which the hook budgets its calls."""

HOOK_CALLS = 9
"""Requests of one round trip (8 steps) plus one cleanup request."""
HOOK_CALL_OVERHEAD_SECONDS = 5
"""Connection and start-up time the hook allows per request beyond the function's timeout."""
HOOK_REPORT_SECONDS = 30
"""Time the hook keeps for reporting to CodeDeploy and its own start."""
MAX_HOOK_TIMEOUT = cdk.Duration.minutes(15)

DEFAULT_DEPLOYMENT_CONFIG = codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES

ALARM_PERIOD = cdk.Duration.minutes(1)
"""Rollback alarms evaluate one-minute periods: a 5-minute canary sees several of them."""


@dataclass(frozen=True, kw_only=True)
class PostTrafficCheck:
    """How the post-traffic hook reaches the stage as a client: a client-credentials app client's token."""

    stage_url: str
    """The stage's HTTPS URL (``https://<api>.execute-api.<region>.amazonaws.com``). Required."""
    user_pool: cognito.IUserPool
    """The pool of ``client``; the hook may describe that pool's clients. Required."""
    client: cognito.IUserPoolClient
    """Confidential client allowed only the client-credentials grant for ``scope``, and in the JWT
    authorizer's audience. Required."""
    scope: str
    """The scope the hook asks for (``<resource server>/<scope>``). Required."""
    token_url: str
    """The pool domain's ``/oauth2/token`` endpoint. Required."""
    allowed_origin: str = ""
    """A browser origin the stage's CORS allows: each call carries it, with its preflight, and each answer
    must name it. Default ``""``: no CORS check."""


@dataclass(frozen=True, kw_only=True)
class RollbackThresholds:
    """When a deployment is rolled back. Every alarm trips at ``>=`` its threshold over one-minute periods."""

    new_version_errors: int = 1
    """Lambda ``Errors`` (Sum per minute) of the version being deployed. Default 1: any invocation error."""

    new_version_throttles: int = 1
    """Lambda ``Throttles`` (Sum per minute) of the version being deployed. Default 1."""

    api_5xx_rate_percent: float = 5.0
    """HTTP API stage ``5xx`` / ``Count`` in percent (notify only, see ``stage_alarms``). Default 5.0."""

    new_version_server_error_rate_percent: float = 5.0
    """The runtime's 5xx responses of the version being deployed, in percent of its requests. Default 5.0."""

    new_version_client_error_rate_percent: float = 50.0
    """The runtime's 4xx responses of the version being deployed, in percent of its requests. Default 50.0."""

    new_version_min_requests: int = 10
    """Requests of the new version in a minute below which its error rates do not alarm. Default 10."""

    api_p99_latency_ms: int = 3_000
    """HTTP API stage ``Latency`` p99 in milliseconds. Default 3000."""

    unhandled_errors: int = 1
    """The runtime's unhandled-error metric (Sum per minute). Default 1: any unexpected 500."""

    evaluation_periods: int = 1
    """Minutes an alarm looks back. Default 1, so a canary of 5 minutes gets several chances to trip."""

    datapoints_to_alarm: int = 1
    """Breaching minutes among ``evaluation_periods`` that trip an alarm. Default 1."""

    def __post_init__(self) -> None:
        if not 1 <= self.datapoints_to_alarm <= self.evaluation_periods:
            raise ValueError(
                "RollbackThresholds.datapoints_to_alarm must be between 1 and evaluation_periods "
                f"({self.evaluation_periods}), got {self.datapoints_to_alarm}"
            )
        for name in (
            "new_version_errors",
            "new_version_throttles",
            "api_5xx_rate_percent",
            "api_p99_latency_ms",
            "unhandled_errors",
            "new_version_server_error_rate_percent",
            "new_version_client_error_rate_percent",
            "new_version_min_requests",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"RollbackThresholds.{name} must be positive, got {getattr(self, name)}")


_PREDEFINED_CANARY = {
    5: codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
    10: codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_10_MINUTES,
    15: codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_15_MINUTES,
    30: codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_30_MINUTES,
}
_PREDEFINED_LINEAR = {
    1: codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_1_MINUTE,
    2: codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_2_MINUTES,
    3: codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_3_MINUTES,
    10: codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_10_MINUTES,
}


def traffic_shifting(
    scope: Construct,
    construct_id: str,
    *,
    shift: str,
    percentage: int = 10,
    interval_minutes: int = 5,
) -> codedeploy.ILambdaDeploymentConfig:
    """A deployment config for a traffic-shifting style (``all_at_once``, ``linear`` or ``canary``).

    ``canary`` sends ``percentage`` of the traffic to the new version for ``interval_minutes``, then the
    rest; ``linear`` adds ``percentage`` every ``interval_minutes``. Styles CodeDeploy does not predefine
    (anything but 10 %, or an unusual interval) become a ``LambdaDeploymentConfig`` resource in ``scope``;
    the others use CodeDeploy's predefined config.
    """
    if shift == "all_at_once":
        return codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE
    if shift not in {"canary", "linear"}:
        raise ValueError(f"traffic_shifting: shift must be all_at_once, linear or canary, got {shift!r}")
    predefined = _PREDEFINED_CANARY if shift == "canary" else _PREDEFINED_LINEAR
    if percentage == 10 and interval_minutes in predefined:
        return predefined[interval_minutes]
    interval = cdk.Duration.minutes(interval_minutes)
    routing: codedeploy.TrafficRouting = (
        codedeploy.TimeBasedCanaryTrafficRouting(interval=interval, percentage=percentage)
        if shift == "canary"
        else codedeploy.TimeBasedLinearTrafficRouting(interval=interval, percentage=percentage)
    )
    return codedeploy.LambdaDeploymentConfig(scope, construct_id, traffic_routing=routing)


def unhandled_errors_metric(
    *,
    namespace: str,
    service_name: str,
    function_version: str | None = None,
    metric_name: str = contract.METRIC_UNHANDLED_ERRORS,
    period: cdk.Duration = ALARM_PERIOD,
) -> cloudwatch.Metric:
    """The runtime's unhandled-error count (Sum), exactly as Powertools Metrics publishes it."""
    return runtime_metric(
        namespace=namespace,
        service_name=service_name,
        function_version=function_version,
        metric_name=metric_name,
        statistic=cloudwatch.Stats.SUM,
        period=period,
    )


def runtime_metric(
    *,
    namespace: str,
    service_name: str,
    function_version: str | None,
    metric_name: str,
    statistic: str,
    period: cdk.Duration = ALARM_PERIOD,
) -> cloudwatch.Metric:
    """A runtime metric by ``service``, or by ``service`` and ``function_version`` (one version's data only).

    Powertools writes each EMF record in ``namespace`` (``POWERTOOLS_METRICS_NAMESPACE``) with two dimension
    sets: ``service`` = ``POWERTOOLS_SERVICE_NAME``, and ``service`` + ``function_version``; a metric with any
    other dimension set would never receive data.
    """
    dimensions = {contract.METRIC_SERVICE_DIMENSION: service_name}
    if function_version is not None:
        dimensions[contract.METRIC_VERSION_DIMENSION] = function_version
    return cloudwatch.Metric(
        namespace=namespace,
        metric_name=metric_name,
        dimensions_map=dimensions,
        statistic=statistic,
        period=period,
    )


def error_rate(
    errors: cloudwatch.IMetric, requests: cloudwatch.IMetric, *, min_requests: int, label: str
) -> cloudwatch.MathExpression:
    """``100 * errors / requests`` in a minute with at least ``min_requests`` requests, else 0."""
    return cloudwatch.MathExpression(
        expression=f"IF(requests >= {min_requests}, 100 * errors / requests, 0)",
        using_metrics={"errors": errors, "requests": requests},
        label=label,
        period=ALARM_PERIOD,
    )


class CanaryDeployment(Construct):
    """A CodeDeploy deployment group on a Lambda alias with rollback alarms and a pre-traffic round trip.

    Public attributes: ``deployment_group``, ``alarms`` (the rollback alarms, in a stable order),
    ``stage_alarms`` (alarms on the whole stage that only notify), ``pre_traffic_hook`` and
    ``post_traffic_hook`` (the hook functions, or ``None``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alias: lambda_.Alias,
        function_timeout: cdk.Duration,
        http_stage: apigwv2.IHttpStage,
        metrics_namespace: str,
        service_name: str,
        deployment_config: codedeploy.ILambdaDeploymentConfig = DEFAULT_DEPLOYMENT_CONFIG,
        thresholds: RollbackThresholds | None = None,
        unhandled_errors_metric_name: str = contract.METRIC_UNHANDLED_ERRORS,
        server_errors_metric_name: str = contract.METRIC_SERVER_ERRORS,
        client_errors_metric_name: str = contract.METRIC_CLIENT_ERRORS,
        pre_traffic_hook: bool = True,
        post_traffic_check: PostTrafficCheck | None = None,
        hook_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        hook_log_removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.DESTROY,
        alarm_name_prefix: str | None = None,
    ) -> None:
        """Put ``alias`` under CodeDeploy.

        :param alias: the alias clients call (its ``version`` is the one each deployment publishes).
        :param function_timeout: the aliased function's timeout; the hook's timeout and per-call budget derive
            from it. Required.
        :param http_stage: the HTTP API stage in front of the alias; its 5xx rate and p99 latency roll back.
        :param metrics_namespace: the function's ``POWERTOOLS_METRICS_NAMESPACE``.
        :param service_name: the function's ``POWERTOOLS_SERVICE_NAME`` (the metric's ``service`` dimension).
        :param deployment_config: how traffic shifts; any ``LambdaDeploymentConfig`` constant or a custom
            ``LambdaDeploymentConfig``. Default ``CANARY_10PERCENT_5MINUTES``.
        :param thresholds: when to roll back. Default ``RollbackThresholds()``.
        :param unhandled_errors_metric_name: the runtime's unhandled-error metric name. Default
            ``runtime.contract.METRIC_UNHANDLED_ERRORS``.
        :param server_errors_metric_name: the runtime's per-response 0/1 metric of 5xx answers. Default
            ``runtime.contract.METRIC_SERVER_ERRORS``.
        :param client_errors_metric_name: the runtime's per-response 0/1 metric of 4xx answers. Default
            ``runtime.contract.METRIC_CLIENT_ERRORS``.
        :param pre_traffic_hook: before the new version takes traffic, invoke it with the round trip of
            ``functions/deployment_hooks`` (health, then create, read, list, replace, delete an item of a
            synthetic caller). Default ``True``.
        :param post_traffic_check: once all traffic has shifted, run the same round trip through the stage
            URL with this client's token (``AfterAllowTraffic``), so a fault of the gateway path rolls
            back. Default ``None``: no post-traffic hook.
        :param hook_log_retention: retention of the hook's log group. Default one month.
        :param hook_log_removal_policy: what happens to the hook's log group with the stack.
            Default ``DESTROY``.
        :param alarm_name_prefix: alarms are named ``<prefix>-<purpose>``; default ``None`` lets
            CloudFormation name them.
        """
        super().__init__(scope, construct_id)
        limits = thresholds or RollbackThresholds()
        self._alarm_name_prefix = alarm_name_prefix
        self._limits = limits

        version = alias.version
        function_name = version.lambda_.function_name
        new_version_dimensions = {
            "FunctionName": function_name,
            "Resource": f"{function_name}:{alias.alias_name}",
            "ExecutedVersion": version.version,
        }

        def new_version_metric(metric_name: str, statistic: str) -> cloudwatch.Metric:
            return runtime_metric(
                namespace=metrics_namespace,
                service_name=service_name,
                function_version=version.version,
                metric_name=metric_name,
                statistic=statistic,
            )

        def new_version_rate_alarm(
            construct_id: str, status_class: str, metric_name: str, threshold: float
        ) -> cloudwatch.Alarm:
            return self._alarm(
                construct_id,
                purpose=(
                    f"{status_class} responses of the version being deployed in percent of its requests "
                    f"(minutes with at least {limits.new_version_min_requests} requests)"
                ),
                metric=error_rate(
                    new_version_metric(metric_name, cloudwatch.Stats.SUM),
                    new_version_metric(metric_name, cloudwatch.Stats.SAMPLE_COUNT),
                    min_requests=limits.new_version_min_requests,
                    label=f"new version {status_class} rate (%)",
                ),
                threshold=threshold,
            )

        self.alarms: list[cloudwatch.Alarm] = [
            self._alarm(
                "NewVersionErrors",
                purpose="Lambda errors of the version being deployed",
                metric=_lambda_metric("Errors", new_version_dimensions),
                threshold=limits.new_version_errors,
            ),
            self._alarm(
                "NewVersionThrottles",
                purpose="Lambda throttles of the version being deployed",
                metric=_lambda_metric("Throttles", new_version_dimensions),
                threshold=limits.new_version_throttles,
            ),
            self._alarm(
                "ApiLatencyP99",
                purpose="HTTP API p99 latency in milliseconds",
                metric=http_stage.metric_latency(period=ALARM_PERIOD, statistic="p99"),
                threshold=limits.api_p99_latency_ms,
            ),
            self._alarm(
                "UnhandledErrors",
                purpose="requests the version being deployed answered with an unexpected 500",
                metric=new_version_metric(unhandled_errors_metric_name, cloudwatch.Stats.SUM),
                threshold=limits.unhandled_errors,
            ),
            new_version_rate_alarm(
                "NewVersionServerErrorRate",
                "5xx",
                server_errors_metric_name,
                limits.new_version_server_error_rate_percent,
            ),
            new_version_rate_alarm(
                "NewVersionClientErrorRate",
                "4xx",
                client_errors_metric_name,
                limits.new_version_client_error_rate_percent,
            ),
        ]
        self.stage_alarms: list[cloudwatch.Alarm] = [
            self._alarm(
                "ApiServerErrorRate",
                purpose="HTTP API 5xx responses in percent of requests, old and new versions together",
                metric=cloudwatch.MathExpression(
                    expression="100 * errors / requests",
                    using_metrics={
                        "errors": http_stage.metric_server_error(period=ALARM_PERIOD, statistic="Sum"),
                        "requests": http_stage.metric_count(period=ALARM_PERIOD, statistic="SampleCount"),
                    },
                    label="5xx rate (%)",
                    period=ALARM_PERIOD,
                ),
                threshold=limits.api_5xx_rate_percent,
                rolls_back=False,
            ),
        ]

        self.deployment_group = codedeploy.LambdaDeploymentGroup(
            self,
            "DeploymentGroup",
            alias=alias,
            deployment_config=deployment_config,
            alarms=list(self.alarms),
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True,
                stopped_deployment=True,
                deployment_in_alarm=True,
            ),
        )
        _acknowledge(
            self.deployment_group.role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]",
            "LambdaDeploymentGroup always attaches this AWS managed service-role policy: it is the scoped "
            "one CodeDeploy needs to read the alarms and move the alias, and AWS keeps it in step with the "
            "service.",
        )

        self.pre_traffic_hook: lambda_.Function | None = None
        if pre_traffic_hook:
            self.pre_traffic_hook = self._pre_traffic_hook(
                version=version,
                function_timeout=function_timeout,
                log_retention=hook_log_retention,
                log_removal_policy=hook_log_removal_policy,
            )
            self.deployment_group.add_pre_hook(self.pre_traffic_hook)
            _acknowledge(
                self.deployment_group.role,
                f"AwsSolutions-IAM5[Resource::<{_logical_id(self.pre_traffic_hook)}.Arn>:*]",
                "add_pre_hook grants CodeDeploy lambda:InvokeFunction on the hook and its qualified ARNs "
                "(<hook>:*); the hook is this construct's own function, so the wildcard only covers its "
                "versions.",
            )

        self.post_traffic_hook: lambda_.Function | None = None
        if post_traffic_check is not None:
            self.post_traffic_hook = self._post_traffic_hook(
                check=post_traffic_check,
                version=version,
                function_timeout=function_timeout,
                log_retention=hook_log_retention,
                log_removal_policy=hook_log_removal_policy,
            )
            self.deployment_group.add_post_hook(self.post_traffic_hook)
            _acknowledge(
                self.deployment_group.role,
                f"AwsSolutions-IAM5[Resource::<{_logical_id(self.post_traffic_hook)}.Arn>:*]",
                "add_post_hook grants CodeDeploy lambda:InvokeFunction on the hook and its qualified ARNs "
                "(<hook>:*); the hook is this construct's own function, so the wildcard only covers its "
                "versions.",
            )
        if self.pre_traffic_hook or self.post_traffic_hook:
            self._deploy_after_hook_grant(alias)

    def _deploy_after_hook_grant(self, alias: lambda_.Alias) -> None:
        """Start the alias update (the deployment) only once CodeDeploy may invoke the hooks.

        ``add_pre_hook`` and ``add_post_hook`` put that grant in the deployment group's service role
        policy, which nothing the alias refers to depends on: without this edge CloudFormation could start
        a deployment, on the first create or when a hook is replaced, before the policy names the hook.
        The group itself cannot wait for it (the hook's own grant to report refers to the group), so the
        alias does.
        """
        alias_resource = alias.node.default_child
        if not isinstance(alias_resource, cdk.CfnResource):
            raise TypeError(f"{alias.node.path} has no CloudFormation resource")
        alias_resource.node.add_dependency(self.deployment_group.role)

    def _alarm(
        self,
        construct_id: str,
        *,
        purpose: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        rolls_back: bool = True,
    ) -> cloudwatch.Alarm:
        effect = "Rolls a deployment back" if rolls_back else "Notifies only"
        return cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=alarm_name(self._alarm_name_prefix, construct_id),
            alarm_description=f"{effect}: {purpose} >= {threshold:g}.",
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=self._limits.evaluation_periods,
            datapoints_to_alarm=self._limits.datapoints_to_alarm,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _pre_traffic_hook(
        self,
        *,
        version: lambda_.IVersion,
        function_timeout: cdk.Duration,
        log_retention: logs.RetentionDays,
        log_removal_policy: cdk.RemovalPolicy,
    ) -> lambda_.Function:
        """The hook function, with a role that may only write its logs and invoke ``version``."""
        return self._hook_function(
            "PreTrafficHook",
            description="CodeDeploy BeforeAllowTraffic: round trip on the new version, report the verdict",
            role_description=(
                "Pre-traffic hook: own logs, invoke the version being deployed, report to CodeDeploy"
            ),
            handler=PRE_TRAFFIC_HANDLER,
            grants=[iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[version.function_arn])],
            environment={
                ENV_TARGET_VERSION_ARN: version.function_arn,
                ENV_TARGET_TIMEOUT_SECONDS: str(int(function_timeout.to_seconds())),
            },
            aws_services=("Lambda", "CodeDeploy"),
            environment_contents="only the ARN and timeout of the function version it tests, no secret",
            function_timeout=function_timeout,
            log_retention=log_retention,
            log_removal_policy=log_removal_policy,
        )

    def _post_traffic_hook(
        self,
        *,
        check: PostTrafficCheck,
        version: lambda_.IVersion,
        function_timeout: cdk.Duration,
        log_retention: logs.RetentionDays,
        log_removal_policy: cdk.RemovalPolicy,
    ) -> lambda_.Function:
        """The hook function, with a role that may only write its logs and describe the check's pool clients.

        ``cognito-idp:DescribeUserPoolClient`` takes the user pool as its only resource, so the grant names
        the pool; the hook asks for its own client only.
        """
        return self._hook_function(
            "PostTrafficHook",
            description="CodeDeploy AfterAllowTraffic: round trip through the stage URL, report the verdict",
            role_description="Post-traffic hook: own logs, read its client's secret, report to CodeDeploy",
            handler=POST_TRAFFIC_HANDLER,
            grants=[
                iam.PolicyStatement(
                    actions=["cognito-idp:DescribeUserPoolClient"], resources=[check.user_pool.user_pool_arn]
                )
            ],
            environment={
                "STAGE_URL": check.stage_url,
                "TOKEN_URL": check.token_url,
                "USER_POOL_ID": check.user_pool.user_pool_id,
                "CLIENT_ID": check.client.user_pool_client_id,
                "SCOPE": check.scope,
                "ALLOWED_ORIGIN": check.allowed_origin,
                "EXPECTED_VERSION": version.version,
                ENV_TARGET_TIMEOUT_SECONDS: str(int(function_timeout.to_seconds())),
            },
            aws_services=("Cognito", "CodeDeploy"),
            environment_contents="the stage and token URLs, the app client id and scope, no secret",
            function_timeout=function_timeout,
            log_retention=log_retention,
            log_removal_policy=log_removal_policy,
        )

    def _hook_function(
        self,
        construct_id: str,
        *,
        description: str,
        role_description: str,
        handler: str,
        grants: list[iam.PolicyStatement],
        environment: dict[str, str],
        aws_services: tuple[str, ...],
        environment_contents: str,
        function_timeout: cdk.Duration,
        log_retention: logs.RetentionDays,
        log_removal_policy: cdk.RemovalPolicy,
    ) -> lambda_.Function:
        """A hook function of the deployment hooks' asset, with a role of its own holding only ``grants``.

        The role is this construct's own so that no AWS managed policy (``AWSLambdaBasicExecutionRole`` grants
        every log group) is attached; the grant to report to CodeDeploy is added by ``add_pre_hook`` or
        ``add_post_hook`` and is scoped to this deployment group's ARN.
        """
        no_dlq = (
            "Only CodeDeploy invokes the hook, once per deployment; if an invocation is lost CodeDeploy "
            "fails the lifecycle event and rolls back, so the deployment itself records the failure."
        )
        no_tracing = (
            "One round trip per deployment whose outcome is logged and reported to CodeDeploy; tracing "
            "would add an X-Ray write grant on Resource::* for no diagnostic gain."
        )
        log_group = logs.LogGroup(
            self,
            f"{construct_id}Logs",
            retention=log_retention,
            removal_policy=log_removal_policy,
        )
        role = iam.Role(
            self,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=role_description,
        )
        log_group.grant_write(role)
        for grant in grants:
            role.add_to_principal_policy(grant)
        hook = lambda_.Function(
            self,
            construct_id,
            description=description,
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=lambda_.Code.from_asset(str(DEPLOYMENT_HOOKS_CODE), exclude=["__pycache__", "*.pyc"]),
            memory_size=256,
            timeout=hook_timeout(function_timeout),
            role=role,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment=environment,
        )
        acknowledge_function_baseline(hook, aws_services=aws_services, environment=environment_contents)
        acknowledge_log_group_encryption(log_group)
        acknowledge_checkov(hook, "CKV_AWS_116", reason=no_dlq)
        acknowledge_cfn_lint(hook, "WS1000", reason=no_tracing)
        acknowledge_checkov(
            hook,
            "CKV_AWS_115",
            reason=(
                "Only CodeDeploy invokes the hook, once per deployment of one deployment group; reserved "
                "concurrency would withhold account capacity from the service for a function that idles"
            ),
        )
        _acknowledge(
            hook,
            "AwsSolutions-L1",
            "The project pins Python 3.13 for every function it deploys (toolchain, layer and tests).",
        )
        _acknowledge(
            hook,
            "Serverless-LambdaLatestVersion",
            "The project pins Python 3.13 for every function it deploys (toolchain, layer and tests).",
        )
        _acknowledge(hook, "Serverless-LambdaDLQ", no_dlq)
        _acknowledge(hook, "Serverless-LambdaTracing", no_tracing)
        return hook


def hook_timeout(function_timeout: cdk.Duration) -> cdk.Duration:
    """Room for every request of the round trip at the function's timeout, and the report; at most 15 minutes.

    The hook also checks the time left before each request (``round_trip.Budget``), so even a capped timeout
    never lets Lambda stop it before it has reported.
    """
    seconds = HOOK_CALLS * (function_timeout.to_seconds() + HOOK_CALL_OVERHEAD_SECONDS) + HOOK_REPORT_SECONDS
    return cdk.Duration.seconds(min(seconds, MAX_HOOK_TIMEOUT.to_seconds()))


def _lambda_metric(metric_name: str, dimensions: dict[str, str]) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=metric_name,
        dimensions_map=dimensions,
        statistic=cloudwatch.Stats.SUM,
        period=ALARM_PERIOD,
    )


def alarm_name(prefix: str | None, construct_id: str) -> str | None:
    """``<prefix>-<construct-id in kebab case>``, or ``None`` (CloudFormation names it) without a prefix."""
    if not prefix:
        return None
    kebab = "".join(f"-{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(construct_id))
    return f"{prefix}-{kebab}"


def _logical_id(function: lambda_.Function) -> str:
    resource = function.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        raise TypeError(f"{function.node.path} has no CloudFormation resource")
    return cdk.Stack.of(function).get_logical_id(resource)


def _acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))
