"""The monthly bill: usage (pure numbers) times a region's prices, one line per thing AWS charges for."""

from __future__ import annotations

from dataclasses import dataclass

from tools.cost.prices import PriceList

GB = 1024**3
SECONDS_PER_MONTH = 730 * 3600
"""AWS prices a month as 730 hours."""


@dataclass(frozen=True, kw_only=True)
class Usage:
    """What an environment uses in a month."""

    requests: int
    memory_mb: int
    architecture: str
    warm_ms: float
    cold_starts: int
    cold_init_ms: float
    snap_start: bool
    tracing: bool
    read_units: float
    write_units: float
    stored_gb: float
    point_in_time_recovery: bool
    log_gb: float
    log_retention_months: float
    custom_metrics: int
    alarm_metrics: int
    dashboards: int
    secrets: int
    secret_calls: int
    kms_keys: int
    http_api: bool
    response_gb: float
    edge: bool = False
    waf_rules: int = 0


@dataclass(frozen=True)
class LineItem:
    service: str
    what: str
    quantity: float
    unit: str
    unit_price: float
    """USD per ``unit``."""

    @property
    def cost(self) -> float:
        return self.quantity * self.unit_price


def line_items(usage: Usage, prices: PriceList) -> list[LineItem]:
    """Every charge of ``usage`` at ``prices``; quantities are in the price's own unit."""
    memory_gb = usage.memory_mb / 1024
    invoked_seconds = (usage.requests * usage.warm_ms + usage.cold_starts * usage.cold_init_ms) / 1000
    items = [
        LineItem(
            "Lambda", "requests", usage.requests / 1e6, "million", prices("lambda", "requests_per_million")
        ),
        LineItem(
            "Lambda",
            f"duration ({usage.architecture}, {usage.memory_mb} MB)",
            invoked_seconds * memory_gb,
            "GB-s",
            prices("lambda", "gb_second", usage.architecture),
        ),
    ]
    if usage.snap_start:
        items += [
            LineItem(
                "Lambda",
                "SnapStart cache (1 published version)",
                SECONDS_PER_MONTH * memory_gb,
                "GB-s",
                prices("lambda", "snapstart_cache_gb_second"),
            ),
            LineItem(
                "Lambda",
                "SnapStart restores",
                usage.cold_starts * memory_gb,
                "GB restored",
                prices("lambda", "snapstart_restore_gb"),
            ),
        ]
    if usage.http_api:
        items.append(
            LineItem(
                "API Gateway",
                "HTTP API requests",
                usage.requests / 1e6,
                "million",
                prices("http_api", "requests_per_million"),
            )
        )
    items += [
        LineItem(
            "DynamoDB",
            "read request units",
            usage.read_units / 1e6,
            "million",
            prices("dynamodb", "read_request_units_per_million"),
        ),
        LineItem(
            "DynamoDB",
            "write request units",
            usage.write_units / 1e6,
            "million",
            prices("dynamodb", "write_request_units_per_million"),
        ),
        LineItem("DynamoDB", "storage", usage.stored_gb, "GB-month", prices("dynamodb", "storage_gb_month")),
    ]
    if usage.point_in_time_recovery:
        items.append(
            LineItem(
                "DynamoDB",
                "point-in-time recovery",
                usage.stored_gb,
                "GB-month",
                prices("dynamodb", "pitr_gb_month"),
            )
        )
    items += [
        LineItem("CloudWatch", "logs ingested", usage.log_gb, "GB", prices("cloudwatch", "logs_ingested_gb")),
        LineItem(
            "CloudWatch",
            "logs stored (steady state)",
            usage.log_gb * usage.log_retention_months,
            "GB-month",
            prices("cloudwatch", "logs_stored_gb_month"),
        ),
        LineItem(
            "CloudWatch",
            "custom metrics",
            usage.custom_metrics,
            "metric-month",
            prices("cloudwatch", "custom_metric_month"),
        ),
        LineItem(
            "CloudWatch",
            "alarms",
            usage.alarm_metrics,
            "alarm metric-month",
            prices("cloudwatch", "alarm_metric_month"),
        ),
        LineItem(
            "CloudWatch",
            "dashboards",
            usage.dashboards,
            "dashboard-month",
            prices("cloudwatch", "dashboard_month"),
        ),
        LineItem(
            "Secrets Manager",
            "secrets",
            usage.secrets,
            "secret-month",
            prices("secrets_manager", "secret_month"),
        ),
        LineItem(
            "Secrets Manager",
            "API calls",
            usage.secret_calls / 1e4,
            "10k calls",
            prices("secrets_manager", "api_calls_per_10k"),
        ),
        LineItem("KMS", "customer managed keys", usage.kms_keys, "key-month", prices("kms", "key_month")),
    ]
    if usage.tracing:
        items.append(
            LineItem(
                "X-Ray",
                "traces recorded",
                usage.requests / 1e6,
                "million",
                prices("xray", "traces_recorded_per_million"),
            )
        )
    if usage.edge:
        items += [
            LineItem(
                "CloudFront",
                "HTTPS requests",
                usage.requests / 1e4,
                "10k",
                prices("cloudfront", "https_requests_per_10k"),
            ),
            LineItem("CloudFront", "data out", usage.response_gb, "GB", prices("cloudfront", "data_out_gb")),
            LineItem("WAF", "web ACL", 1, "ACL-month", prices("waf", "web_acl_month")),
            LineItem(
                "WAF", "rules and rule groups", usage.waf_rules, "rule-month", prices("waf", "rule_month")
            ),
            LineItem(
                "WAF", "requests", usage.requests / 1e6, "million", prices("waf", "requests_per_million")
            ),
        ]
    else:
        items.append(
            LineItem(
                "Data transfer",
                "out to the internet",
                usage.response_gb,
                "GB",
                prices("data_transfer", "internet_out_gb"),
            )
        )
    return items


def total(items: list[LineItem]) -> float:
    return sum(item.cost for item in items)
