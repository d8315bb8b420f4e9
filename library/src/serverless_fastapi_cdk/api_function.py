"""A Python Lambda function for an HTTP API, published behind an alias, its code bundled without Docker.

The code asset is one Python package folder: its ``.py`` files only (no requirements files, no caches
from a local run), and beside it the library's runtime half (``serverless_fastapi_cdk.runtime``, what the
service imports to emit what the alarms watch), compiled to hash-based bytecode by the target Python
version. Third-party packages come from layers (see :mod:`serverless_fastapi_cdk.dependency_layer`).
"""

from __future__ import annotations

import py_compile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    Acknowledgment,
    Annotations,
    AssetHashType,
    BundlingOptions,
    Duration,
    ILocalBundling,
    RemovalPolicy,
    Validations,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from serverless_fastapi_cdk.bundling import (
    DEFAULT_INVALIDATION_MODE,
    compile_tree,
    copy_package,
    copy_runtime_half,
    digest,
    package_sources,
    python_version_of,
    require_interpreter,
    runtime_half_files,
)
from serverless_fastapi_cdk.props import (
    LAMBDA_MEMORY_MB,
    MAX_HTTP_API_TIMEOUT_SECONDS,
    Problems,
    handler_problems,
    require,
)
from serverless_fastapi_cdk.scanner_acknowledgements import (
    acknowledge_checkov,
    acknowledge_function_baseline,
    acknowledge_log_group_encryption,
)

BUNDLER_VERSION = "1"
"""Bump when the build steps below change what ends up in the code asset."""

TASK_ROOT = "/var/task"
"""Where Lambda unpacks the function's code (recorded in tracebacks)."""

DEFAULT_TIMEOUT = Duration.seconds(10)


class LogLevel(StrEnum):
    """The log levels a function with Powertools metrics may have.

    Its metrics are embedded-metric-format lines without a ``level`` field, which Lambda's application log
    filter counts as INFO: a stricter level (WARN, ERROR, FATAL) would drop every metric, and the alarms
    built on them would never see a datapoint. So there is no such member.
    """

    DEBUG = "DEBUG"
    INFO = "INFO"


_LAMBDA_LOG_LEVELS = {
    LogLevel.DEBUG: lambda_.ApplicationLogLevel.DEBUG,
    LogLevel.INFO: lambda_.ApplicationLogLevel.INFO,
}
_LOGGING: dict[LogLevel, dict[str, Any]] = {
    level: {
        "logging_format": lambda_.LoggingFormat.JSON,
        "application_log_level_v2": application_level,
        "system_log_level_v2": lambda_.SystemLogLevel.WARN,
    }
    for level, application_level in _LAMBDA_LOG_LEVELS.items()
}
"""JSON logs, the application's level, and the platform's warnings only."""


def _environment(
    service_name: str, metrics_namespace: str, level: LogLevel, extra: Mapping[str, str] | None
) -> dict[str, str]:
    """Powertools' settings, then the caller's variables."""
    return {
        "POWERTOOLS_SERVICE_NAME": service_name,
        "POWERTOOLS_METRICS_NAMESPACE": metrics_namespace,
        "POWERTOOLS_LOG_LEVEL": level.value,
        **(extra or {}),
    }


@dataclass(frozen=True, kw_only=True)
class ColdStart:
    """How cold starts are mitigated. SnapStart and provisioned concurrency are mutually exclusive."""

    snap_start: bool = False
    """SnapStart on published versions (the alias always points at one). Default ``False``."""
    provisioned_concurrency: int = 0
    """Pre-initialised execution environments on the alias. Default 0: none."""

    def __post_init__(self) -> None:
        require(self.provisioned_concurrency >= 0, "ColdStart.provisioned_concurrency", "must be >= 0")
        require(
            not (self.snap_start and self.provisioned_concurrency),
            "ColdStart.snap_start",
            "SnapStart cannot be combined with provisioned_concurrency; choose one",
        )


def validate_function_props(
    *,
    package_dir: Path,
    handler: str,
    log_level: LogLevel,
    aws_services: Sequence[str],
    memory_size: int,
    timeout: Duration,
    where: str,
) -> None:
    """Raise one :class:`PropsError` with every problem of a function's props (``where`` names the type)."""
    problems = Problems()
    problems.require(
        log_level in set(LogLevel),
        f"{where}.log_level",
        f"{log_level!r} is not DEBUG or INFO: Lambda's log filter would drop the function's metrics, "
        "which carry no level (read as INFO), and blind the alarms built on them",
    )
    problems.require(bool(aws_services), f"{where}.aws_services", "name the AWS services the function calls")
    problems.extend(handler_problems(package_dir, handler, where))
    problems.require(memory_size in LAMBDA_MEMORY_MB, f"{where}.memory_size", "must be 128..10240 (MiB)")
    seconds = timeout.to_seconds()
    problems.require(
        1 <= seconds <= MAX_HTTP_API_TIMEOUT_SECONDS,
        f"{where}.timeout",
        f"{seconds:g} s is not 1..{MAX_HTTP_API_TIMEOUT_SECONDS} s: the HTTP API stops waiting for its "
        "integration after 30 s",
    )
    problems.raise_any()


def _code_hash(package_dir: Path, python_version: str, mode: py_compile.PycInvalidationMode) -> str:
    """What defines the code asset: the bundler, the target Python, the sources and the runtime half."""
    sources = package_sources(package_dir)
    return digest(
        [BUNDLER_VERSION, python_version, mode.name, package_dir.name]
        + [part for rel in sources for part in (rel.as_posix(), (package_dir / rel).read_bytes())]
        + [part for item in sorted(runtime_half_files().items()) for part in item]
    )


@jsii.implements(ILocalBundling)
class _PackageBundler:
    """Copies the package's sources into the asset and compiles them; CDK calls it instead of Docker."""

    def __init__(
        self, *, package_dir: Path, invalidation_mode: py_compile.PycInvalidationMode, python: str
    ) -> None:
        self._package_dir = package_dir
        self._invalidation_mode = invalidation_mode
        self._python = python

    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        """Build into ``output_dir``; CDK passes the bundling options, which this bundler does not need."""
        copy_package(self._package_dir, Path(output_dir))
        copy_runtime_half(Path(output_dir))
        compile_tree(
            Path(output_dir),
            deployed_at=TASK_ROOT,
            invalidation_mode=self._invalidation_mode,
            python=self._python,
        )
        return True


class ApiFunction(Construct):
    """A function, its log group and role, and the alias that receives traffic.

    Public attributes: :attr:`function`, :attr:`alias` (always on a published version, never
    ``$LATEST``), :attr:`version`, :attr:`log_group`, :attr:`role`, :attr:`code_hash`, :attr:`timeout`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        package_dir: Path,
        handler: str,
        service_name: str,
        metrics_namespace: str,
        aws_services: Sequence[str],
        environment_contents: str,
        layers: Sequence[lambda_.ILayerVersion] = (),
        environment: Mapping[str, str] | None = None,
        architecture: lambda_.Architecture = lambda_.Architecture.ARM_64,
        runtime: lambda_.Runtime = lambda_.Runtime.PYTHON_3_13,
        memory_size: int = 1024,
        timeout: Duration = DEFAULT_TIMEOUT,
        reserved_concurrency: int | None = None,
        log_level: LogLevel = LogLevel.INFO,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
        log_removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        tracing: lambda_.Tracing = lambda_.Tracing.ACTIVE,
        cold_start: ColdStart | None = None,
        alias_name: str = "live",
        invalidation_mode: py_compile.PycInvalidationMode = DEFAULT_INVALIDATION_MODE,
        description: str | None = None,
    ) -> None:
        """Create the function.

        :param package_dir: folder of the Python package to deploy; it becomes the top-level package of
            the code asset (``<package_dir name>/...``). Required.
        :param handler: handler path inside the asset, e.g. ``"runtime.handler.handler"``. Required.
        :param service_name: ``POWERTOOLS_SERVICE_NAME`` (logs, traces, metric dimension). Required.
        :param metrics_namespace: ``POWERTOOLS_METRICS_NAMESPACE``. Required.
        :param aws_services: the AWS services the code calls (``"DynamoDB"``, ...), X-Ray aside (added when
            ``tracing`` is on); the reason of the no-VPC scanner acknowledgement names them. Required,
            non-empty unless tracing is on.
        :param environment_contents: what the environment variables hold, e.g. ``"table names, no secret"``;
            the reason of the environment-encryption scanner acknowledgement. Required.
        :param layers: layers with the third-party packages. Default: none.
        :param environment: extra environment variables. Default: none.
        :param architecture: Default: ``ARM_64``.
        :param runtime: Python runtime (3.12, 3.13 or 3.14). The bytecode is compiled by that Python
            version: the synthesizing interpreter if it is that version, else one installed on this machine
            (uv's, pyenv's, ``python3.X`` on PATH); synth fails saying what to install when there is none.
            Default: ``PYTHON_3_13``.
        :param memory_size: MiB. Default: 1024.
        :param timeout: Default: 10 seconds.
        :param reserved_concurrency: reserved concurrent executions (a cap and a guarantee).
            Default: none, the account's unreserved pool.
        :param log_level: ``POWERTOOLS_LOG_LEVEL`` and Lambda's application log level filter
            (:class:`LogLevel`: a stricter filter would drop the metrics). Default: ``INFO``.
        :param log_retention: retention of the function's log group. Default: three months.
        :param log_removal_policy: what happens to the log group when it leaves the stack.
            Default: ``RETAIN``.
        :param tracing: X-Ray tracing mode. Default: ``ACTIVE``.
        :param cold_start: SnapStart or provisioned concurrency on the alias. Default ``ColdStart()``:
            neither.
        :param alias_name: Default: ``"live"``.
        :param invalidation_mode: bytecode validation mode, see ``DependencyLayer``.
            Default: ``UNCHECKED_HASH``.
        :param description: Default: none.
        """
        super().__init__(scope, construct_id)
        cold = cold_start or ColdStart()
        called = [*aws_services, *(["X-Ray"] if tracing is not lambda_.Tracing.DISABLED else [])]
        validate_function_props(
            package_dir=package_dir,
            handler=handler,
            log_level=log_level,
            aws_services=called,
            memory_size=memory_size,
            timeout=timeout,
            where="ApiFunction",
        )
        level = LogLevel(log_level)
        code = self._build_code(package_dir, runtime, invalidation_mode)
        self._build_log_group_and_role(log_retention, log_removal_policy)
        self.function: lambda_.Function = lambda_.Function(
            self,
            "Function",
            code=code,
            handler=handler,
            runtime=runtime,
            architecture=architecture,
            layers=list(layers),
            memory_size=memory_size,
            timeout=timeout,
            reserved_concurrent_executions=reserved_concurrency,
            role=self.role,
            log_group=self.log_group,
            tracing=tracing,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if cold.snap_start else None,
            description=description,
            environment=_environment(service_name, metrics_namespace, level, environment),
            **_LOGGING[level],
        )
        self.timeout: Duration = timeout
        self.version: lambda_.Version = self.function.current_version
        self.alias: lambda_.Alias = lambda_.Alias(
            self, "Alias", alias_name=alias_name, version=self.version,
            provisioned_concurrent_executions=cold.provisioned_concurrency or None,
        )  # fmt: skip
        self._acknowledge_findings(tracing, cold.snap_start, called, environment_contents)

    def _build_code(
        self, package_dir: Path, runtime: lambda_.Runtime, invalidation_mode: py_compile.PycInvalidationMode
    ) -> lambda_.Code:
        """The code asset: the package and the runtime half, compiled by the target Python version."""
        python_version = python_version_of(runtime.name)
        python = require_interpreter(python_version)
        self.code_hash: str = _code_hash(package_dir, python_version, invalidation_mode)
        bundler = _PackageBundler(package_dir=package_dir, invalidation_mode=invalidation_mode, python=python)
        return lambda_.Code.from_asset(
            str(package_dir),
            asset_hash=self.code_hash,
            asset_hash_type=AssetHashType.CUSTOM,
            bundling=BundlingOptions(image=runtime.bundling_image, local=bundler),
        )

    def _build_log_group_and_role(self, retention: logs.RetentionDays, removal_policy: RemovalPolicy) -> None:
        self.log_group: logs.LogGroup = logs.LogGroup(
            self, "LogGroup", retention=retention, removal_policy=removal_policy
        )
        self.role: iam.Role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Execution role: writes its own log group and X-Ray traces, plus explicit grants",
        )
        self.log_group.grant_write(self.role)

    def _acknowledge_findings(
        self,
        tracing: lambda_.Tracing,
        snap_start: bool,
        aws_services: Sequence[str],
        environment_contents: str,
    ) -> None:
        no_dlq = (
            "API Gateway invokes the function synchronously and returns its errors to the caller; "
            "a dead-letter queue only receives failed asynchronous invocations"
        )
        Validations.of(self.function).acknowledge(Acknowledgment(id="Serverless-LambdaDLQ", reason=no_dlq))
        acknowledge_checkov(self.function, "CKV_AWS_116", reason=no_dlq)
        acknowledge_function_baseline(
            self.function, aws_services=aws_services, environment=environment_contents
        )
        acknowledge_log_group_encryption(self.log_group)
        if snap_start:
            Annotations.of(self.function).acknowledge_warning(
                "@aws-cdk/aws-lambda:snapStartRequirePublish",
                "the construct always publishes a version (current_version) and the alias routes to it",
            )
        if tracing is not lambda_.Tracing.DISABLED:
            reason = (
                "xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions; "
                "AWS documents Resource '*' for them"
            )
            Validations.of(self.role).acknowledge(
                Acknowledgment(id="AwsSolutions-IAM5[Resource::*]", reason=reason)
            )
