"""Safe delivery for a Lambda alias: CodeDeploy traffic shifting, rollback alarms, deployment hooks.

How a deployment proceeds: CloudFormation publishes a new function version and updates the alias; the alias'
``CodeDeployLambdaAliasUpdate`` policy hands that update to CodeDeploy, which first runs the pre-traffic
hook against the new version (its health route, then the caller's own check of the service, by a
synthetic caller), then shifts traffic by the deployment config, watching the rollback alarms.
Any alarm in ALARM, a failed hook or a failed shift puts the alias back on the old version.

The rollback alarms watch the *new* version where CloudWatch can tell versions apart: Lambda publishes alias
invocations with the dimensions ``FunctionName``, ``Resource`` (``<function>:<alias>``) and
``ExecutedVersion``, and the application publishes its own metrics (unhandled errors, 4xx and 5xx per
response) by service and by service + function version (``AWS_LAMBDA_FUNCTION_VERSION``), see
:class:`ApplicationMetrics`. The version
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

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from serverless_fastapi_cdk.alarms import threshold_alarm
from serverless_fastapi_cdk.canary_props import (
    ALARM_PERIOD,
    ApplicationMetrics,
    DeploymentChecks,
    PostTrafficCheck,
    RollbackThresholds,
    TrafficShift,
    TrafficShifting,
)
from serverless_fastapi_cdk.hook_asset import (
    DEPLOYMENT_HOOKS_CODE,
    ENV_HEALTH_PATH,
    ENV_HEALTH_VERSION_FIELD,
    ENV_TARGET_TIMEOUT_SECONDS,
    ENV_TARGET_VERSION_ARN,
    HOOK_RUNTIME,
    POST_TRAFFIC_HANDLER,
    PRE_TRAFFIC_HANDLER,
    SERVICE_CHECK_MODULE,
    hook_timeout,
    hooks_code,
)
from serverless_fastapi_cdk.scanner_acknowledgements import (
    acknowledge_cfn_lint,
    acknowledge_checkov,
    acknowledge_function_baseline,
    acknowledge_log_group_encryption,
)

__all__ = [
    "ALARM_PERIOD",
    "DEPLOYMENT_HOOKS_CODE",
    "ENV_HEALTH_PATH",
    "ENV_HEALTH_VERSION_FIELD",
    "ENV_TARGET_TIMEOUT_SECONDS",
    "ENV_TARGET_VERSION_ARN",
    "POST_TRAFFIC_HANDLER",
    "PRE_TRAFFIC_HANDLER",
    "SERVICE_CHECK_MODULE",
    "ApplicationMetrics",
    "CanaryDeployment",
    "DeploymentChecks",
    "PostTrafficCheck",
    "RollbackThresholds",
    "TrafficShift",
    "TrafficShifting",
    "error_rate",
    "hook_timeout",
]


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
    """A CodeDeploy deployment group on a Lambda alias with rollback alarms and deployment hooks.

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
        metrics: ApplicationMetrics,
        checks: DeploymentChecks | None,
        traffic_shifting: TrafficShifting | None = None,
        thresholds: RollbackThresholds | None = None,
        pre_traffic_hook: bool = True,
        post_traffic_check: PostTrafficCheck | None = None,
        hook_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        hook_log_removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.DESTROY,
        alarm_name_prefix: str | None = None,
    ) -> None:
        """Put ``alias`` under CodeDeploy.

        :param alias: the alias clients call (its ``version`` is the one each deployment publishes). Required.
        :param function_timeout: the aliased function's timeout; the hooks' timeouts and per-call budgets
            derive from it. Required.
        :param http_stage: the HTTP API stage in front of the alias; its 5xx rate and p99 latency are watched.
            Required.
        :param metrics: the application metrics the new-version alarms watch. Required.
        :param checks: what the deployment hooks check; ``None`` runs no hook at all. Required.
        :param traffic_shifting: how traffic shifts. Default ``TrafficShifting()``: 10 % for 5 minutes, then
            the rest.
        :param thresholds: when to roll back. Default ``RollbackThresholds()``.
        :param pre_traffic_hook: before the new version takes traffic, invoke it directly with ``checks``
            (``BeforeAllowTraffic``). Default ``True`` (ignored without ``checks``).
        :param post_traffic_check: once all traffic has shifted, run ``checks`` through the stage URL with
            this client's token (``AfterAllowTraffic``), so a fault of the gateway path rolls back.
            Default ``None``: no post-traffic hook.
        :param hook_log_retention: retention of the hooks' log groups. Default one month.
        :param hook_log_removal_policy: what happens to the hooks' log groups with the stack.
            Default ``DESTROY``.
        :param alarm_name_prefix: alarms are named ``<prefix>-<purpose>``; default ``None`` lets
            CloudFormation name them.
        """
        super().__init__(scope, construct_id)
        self._alarm_name_prefix = alarm_name_prefix
        self._limits = thresholds or RollbackThresholds()
        self._stage_url = http_stage.url
        self.alarms: list[cloudwatch.Alarm] = self._build_rollback_alarms(alias, http_stage, metrics)
        self.stage_alarms: list[cloudwatch.Alarm] = [self._build_stage_alarm(http_stage)]
        self.deployment_group = self._build_deployment_group(alias, traffic_shifting or TrafficShifting())
        self.pre_traffic_hook: lambda_.Function | None = None
        self.post_traffic_hook: lambda_.Function | None = None
        if checks is None:
            return
        self._checks = checks
        self._hooks_code = hooks_code(checks)
        if pre_traffic_hook:
            self.pre_traffic_hook = self._pre_traffic_hook(
                version=alias.version,
                function_timeout=function_timeout,
                log_retention=hook_log_retention,
                log_removal_policy=hook_log_removal_policy,
            )
            self.deployment_group.add_pre_hook(self.pre_traffic_hook)
            self._acknowledge_hook_invoke_grant(self.pre_traffic_hook, "add_pre_hook")
        if post_traffic_check is not None:
            self.post_traffic_hook = self._post_traffic_hook(
                check=post_traffic_check,
                version=alias.version,
                function_timeout=function_timeout,
                log_retention=hook_log_retention,
                log_removal_policy=hook_log_removal_policy,
            )
            self.deployment_group.add_post_hook(self.post_traffic_hook)
            self._acknowledge_hook_invoke_grant(self.post_traffic_hook, "add_post_hook")
        if self.pre_traffic_hook or self.post_traffic_hook:
            self._deploy_after_hook_grant(alias)

    def _build_rollback_alarms(
        self, alias: lambda_.Alias, http_stage: apigwv2.IHttpStage, metrics: ApplicationMetrics
    ) -> list[cloudwatch.Alarm]:
        """The alarms that roll a deployment back: the new version's Lambda and application metrics."""
        limits, version = self._limits, alias.version
        function_name = version.lambda_.function_name
        new_version_dimensions = {
            "FunctionName": function_name,
            "Resource": f"{function_name}:{alias.alias_name}",
            "ExecutedVersion": version.version,
        }

        def new_version_metric(metric_name: str, statistic: str) -> cloudwatch.Metric:
            return metrics.metric(metric_name, statistic=statistic, function_version=version.version)

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

        return [
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
                metric=new_version_metric(metrics.unhandled_errors, cloudwatch.Stats.SUM),
                threshold=limits.unhandled_errors,
            ),
            new_version_rate_alarm(
                "NewVersionServerErrorRate",
                "5xx",
                metrics.server_errors,
                limits.new_version_server_error_rate_percent,
            ),
            new_version_rate_alarm(
                "NewVersionClientErrorRate",
                "4xx",
                metrics.client_errors,
                limits.new_version_client_error_rate_percent,
            ),
        ]

    def _build_stage_alarm(self, http_stage: apigwv2.IHttpStage) -> cloudwatch.Alarm:
        """The stage's 5xx rate, old and new versions together: it notifies, it does not roll back."""
        return self._alarm(
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
            threshold=self._limits.api_5xx_rate_percent,
            rolls_back=False,
        )

    def _build_deployment_group(
        self, alias: lambda_.Alias, shifting: TrafficShifting
    ) -> codedeploy.LambdaDeploymentGroup:
        group = codedeploy.LambdaDeploymentGroup(
            self,
            "DeploymentGroup",
            alias=alias,
            deployment_config=shifting.deployment_config(self, "TrafficShifting"),
            alarms=list(self.alarms),
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True,
                stopped_deployment=True,
                deployment_in_alarm=True,
            ),
        )
        _acknowledge(
            group.role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]",
            "LambdaDeploymentGroup always attaches this AWS managed service-role policy: it is the scoped "
            "one CodeDeploy needs to read the alarms and move the alias, and AWS keeps it in step with the "
            "service.",
        )
        return group

    def _acknowledge_hook_invoke_grant(self, hook: lambda_.Function, added_by: str) -> None:
        """What ``added_by`` (``add_pre_hook``, ``add_post_hook``) grants CodeDeploy on ``hook``."""
        _acknowledge(
            self.deployment_group.role,
            f"AwsSolutions-IAM5[Resource::<{_logical_id(hook)}.Arn>:*]",
            f"{added_by} grants CodeDeploy lambda:InvokeFunction on the hook and its qualified ARNs "
            "(<hook>:*); the hook is this construct's own function, so the wildcard only covers its "
            "versions.",
        )

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
        return threshold_alarm(
            self,
            construct_id,
            name_prefix=self._alarm_name_prefix,
            description=f"{effect}: {purpose}",
            metric=metric,
            threshold=threshold,
            evaluation_periods=self._limits.evaluation_periods,
            datapoints_to_alarm=self._limits.datapoints_to_alarm,
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
            description="CodeDeploy BeforeAllowTraffic: check the new version directly, report the verdict",
            role_description=(
                "Pre-traffic hook: own logs, invoke the version being deployed, report to CodeDeploy"
            ),
            handler=PRE_TRAFFIC_HANDLER,
            grants=[iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[version.function_arn])],
            environment={
                ENV_TARGET_VERSION_ARN: version.function_arn,
                ENV_TARGET_TIMEOUT_SECONDS: str(int(function_timeout.to_seconds())),
                **self._checks_environment(),
            },
            aws_services=("Lambda", "CodeDeploy"),
            environment_contents=(
                "only the ARN and timeout of the function version it tests and its health route, no secret"
            ),
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
            description="CodeDeploy AfterAllowTraffic: check through the stage URL, report the verdict",
            role_description="Post-traffic hook: own logs, read its client's secret, report to CodeDeploy",
            handler=POST_TRAFFIC_HANDLER,
            grants=[
                iam.PolicyStatement(
                    actions=["cognito-idp:DescribeUserPoolClient"], resources=[check.user_pool.user_pool_arn]
                )
            ],
            environment={
                "STAGE_URL": self._stage_url,
                "TOKEN_URL": check.token_url,
                "USER_POOL_ID": check.user_pool.user_pool_id,
                "CLIENT_ID": check.client.user_pool_client_id,
                "SCOPE": check.scope,
                "ALLOWED_ORIGIN": check.allowed_origin,
                "EXPECTED_VERSION": version.version,
                ENV_TARGET_TIMEOUT_SECONDS: str(int(function_timeout.to_seconds())),
                **self._checks_environment(),
            },
            aws_services=("Cognito", "CodeDeploy"),
            environment_contents=(
                "the stage and token URLs, the app client id and scope, the health route, no secret"
            ),
            function_timeout=function_timeout,
            log_retention=log_retention,
            log_removal_policy=log_removal_policy,
        )

    def _checks_environment(self) -> dict[str, str]:
        checks = self._checks
        environment = {ENV_HEALTH_PATH: checks.health_path}
        if checks.version_field is not None:
            environment[ENV_HEALTH_VERSION_FIELD] = checks.version_field
        return environment

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
            "One check per deployment whose outcome is logged and reported to CodeDeploy; tracing "
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
            runtime=HOOK_RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=self._hooks_code,
            memory_size=256,
            timeout=hook_timeout(function_timeout, calls=self._checks.calls),
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
        pinned = (
            f"The hook's code is written and tested for {HOOK_RUNTIME.name}, the runtime this release of the "
            "construct library pins for it; a library release moves hook code and runtime together."
        )
        _acknowledge(hook, "AwsSolutions-L1", pinned)
        _acknowledge(hook, "Serverless-LambdaLatestVersion", pinned)
        _acknowledge(hook, "Serverless-LambdaDLQ", no_dlq)
        _acknowledge(hook, "Serverless-LambdaTracing", no_tracing)
        return hook


def _lambda_metric(metric_name: str, dimensions: dict[str, str]) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=metric_name,
        dimensions_map=dimensions,
        statistic=cloudwatch.Stats.SUM,
        period=ALARM_PERIOD,
    )


def _logical_id(function: lambda_.Function) -> str:
    resource = function.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        raise TypeError(f"{function.node.path} has no CloudFormation resource")
    return cdk.Stack.of(function).get_logical_id(resource)


def _acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))
