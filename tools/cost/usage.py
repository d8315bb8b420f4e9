"""An environment's monthly usage, read from its synthesized templates and a traffic profile.

The service's function is the one the ``live`` alias points at; its memory, architecture, SnapStart,
tracing and log settings come from the template, as do the counts of alarms (each metric of a metric-math
alarm is billed), dashboards, secrets, keys, metric filters and the edge resources.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from runtime import contract
from tools.cost.bill import GB, SECONDS_PER_MONTH, Usage
from tools.cost.profile import READ_UNIT_BYTES, WRITE_UNIT_BYTES, Durations, TrafficProfile

type Templates = Mapping[str, Mapping[str, Any]]
type Resources = dict[str, Mapping[str, Any]]

APP_METRIC_NAMES = tuple(
    value
    for name, value in vars(contract).items()
    if name.startswith("METRIC_") and not name.endswith("_DIMENSION")
)
APP_METRIC_DIMENSION_SETS = 2
"""Every application metric is published by ``service`` and by ``service`` and ``function_version``
(:mod:`runtime.observability`)."""
DAYS_PER_MONTH = 730 / 24


def resources(templates: Templates) -> Resources:
    return {
        key: value for template in templates.values() for key, value in template.get("Resources", {}).items()
    }


def of_type(found: Resources, resource_type: str) -> Iterator[Mapping[str, Any]]:
    return (resource for resource in found.values() if resource["Type"] == resource_type)


def api_function(found: Resources) -> Mapping[str, Any]:
    (alias,) = of_type(found, "AWS::Lambda::Alias")
    function: Mapping[str, Any] = found[alias["Properties"]["FunctionName"]["Ref"]]["Properties"]
    return function


def _alarm_metrics(alarm: Mapping[str, Any]) -> int:
    queries = alarm["Properties"].get("Metrics")
    if not queries:
        return 1
    return sum(1 for query in queries if "MetricStat" in query)


def _retention_months(found: Resources, function: Mapping[str, Any]) -> float:
    group = function.get("LoggingConfig", {}).get("LogGroup", {})
    key = group.get("Ref") if isinstance(group, Mapping) else None
    days = found[key]["Properties"].get("RetentionInDays") if key in found else None
    return (days / DAYS_PER_MONTH) if days else 12.0


def _waf_rules(found: Resources) -> int:
    return sum(len(acl["Properties"].get("Rules", [])) for acl in of_type(found, "AWS::WAFv2::WebACL"))


def usage(templates: Templates, profile: TrafficProfile, durations: Durations) -> Usage:
    """``templates``: ``{stack name: template}`` of one environment."""
    found = resources(templates)
    function = api_function(found)
    requests = profile.requests_per_month
    item = profile.item_bytes
    reads = writes = 0.0
    secret_reads = 0.0
    for operation in profile.mix:
        count = requests * operation.share
        if operation.strong_reads_of_items:
            reads += count * math.ceil(operation.strong_reads_of_items * item / READ_UNIT_BYTES)
        writes += count * operation.item_writes * math.ceil(item / WRITE_UNIT_BYTES)
        secret_reads += count if operation.reads_cursor_secret else 0
    cold_starts = math.ceil(requests * profile.cold_start_share)
    environments = max(1, math.ceil(requests / SECONDS_PER_MONTH * durations.warm_ms / 1000))
    secret_refreshes = environments * SECONDS_PER_MONTH / 300 + cold_starts
    logging = function.get("LoggingConfig", {})
    platform_logs = logging.get("SystemLogLevel", "INFO") != "WARN"
    log_bytes = requests * (
        profile.function_log_bytes
        + profile.access_log_bytes
        + (profile.platform_log_bytes if platform_logs else 0)
    )
    tables = list(of_type(found, "AWS::DynamoDB::GlobalTable"))
    pitr = any(
        replica.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
        for table in tables
        for replica in table["Properties"].get("Replicas", [])
    )
    edge = any(True for _ in of_type(found, "AWS::CloudFront::Distribution"))
    return Usage(
        requests=requests,
        memory_mb=int(function.get("MemorySize", 128)),
        architecture=(function.get("Architectures") or ["x86_64"])[0],
        warm_ms=durations.warm_ms,
        cold_starts=cold_starts,
        cold_init_ms=durations.cold_init_ms,
        snap_start=function.get("SnapStart", {}).get("ApplyOn") == "PublishedVersions",
        tracing=function.get("TracingConfig", {}).get("Mode") == "Active",
        read_units=reads,
        write_units=writes,
        stored_gb=profile.stored_items * item / GB,
        point_in_time_recovery=pitr,
        log_gb=log_bytes / GB,
        log_retention_months=_retention_months(found, function),
        custom_metrics=len(APP_METRIC_NAMES) * APP_METRIC_DIMENSION_SETS
        + sum(1 for _ in of_type(found, "AWS::Logs::MetricFilter")),
        alarm_metrics=sum(_alarm_metrics(alarm) for alarm in of_type(found, "AWS::CloudWatch::Alarm")),
        dashboards=sum(1 for _ in of_type(found, "AWS::CloudWatch::Dashboard")),
        secrets=sum(1 for _ in of_type(found, "AWS::SecretsManager::Secret")),
        secret_calls=math.ceil(min(secret_reads, secret_refreshes)),
        kms_keys=sum(1 for _ in of_type(found, "AWS::KMS::Key")),
        http_api=any(True for _ in of_type(found, "AWS::ApiGatewayV2::Api")),
        response_gb=requests * profile.response_bytes / GB,
        edge=edge,
        waf_rules=_waf_rules(found),
    )
