"""The per-environment settings table of docs/infrastructure.md, read from each stage's templates.

The service's function is the one the ``live`` alias points at; everything else is found by type.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from tools.diagram.graph import Templates
from tools.docs.markdown import plain_cell

type Resources = dict[str, dict[str, Any]]


def _resources(templates: Templates) -> Resources:
    return {
        key: value for template in templates.values() for key, value in template.get("Resources", {}).items()
    }


def _of_type(resources: Resources, resource_type: str) -> Iterator[dict[str, Any]]:
    return (resource for resource in resources.values() if resource["Type"] == resource_type)


def _one(resources: Resources, resource_type: str) -> dict[str, Any]:
    (found,) = _of_type(resources, resource_type)
    return found


def _function(resources: Resources) -> dict[str, Any]:
    return resources[_one(resources, "AWS::Lambda::Alias")["Properties"]["FunctionName"]["Ref"]]


def _sizing(resources: Resources) -> str:
    properties = _function(resources)["Properties"]
    reserved = properties.get("ReservedConcurrentExecutions", "none")
    return f"{properties.get('MemorySize', 128)} MB / {properties.get('Timeout', 3)} s / {reserved}"


def _cold_start(resources: Resources) -> str:
    if _function(resources)["Properties"].get("SnapStart", {}).get("ApplyOn") == "PublishedVersions":
        return "SnapStart"
    provisioned = _one(resources, "AWS::Lambda::Alias")["Properties"].get("ProvisionedConcurrencyConfig")
    return f"{provisioned['ProvisionedConcurrentExecutions']} provisioned" if provisioned else "on demand"


def _limits(settings: Mapping[str, Any]) -> str:
    return f"{settings['ThrottlingRateLimit']:g} / {settings['ThrottlingBurstLimit']:g}"


def _stage_throttle(resources: Resources) -> str:
    return _limits(_one(resources, "AWS::ApiGatewayV2::Stage")["Properties"]["DefaultRouteSettings"])


def _route_throttles(resources: Resources) -> str:
    routes: dict[str, list[str]] = defaultdict(list)
    settings = _one(resources, "AWS::ApiGatewayV2::Stage")["Properties"].get("RouteSettings", {})
    for route, limits in sorted(settings.items()):
        routes[_limits(limits)].append(f"`{route}`")
    return "; ".join(f"{', '.join(keys)}: {limits}" for limits, keys in routes.items()) or "none"


def _public_routes(resources: Resources) -> str:
    keys = sorted(
        route["Properties"]["RouteKey"]
        for route in _of_type(resources, "AWS::ApiGatewayV2::Route")
        if route["Properties"].get("AuthorizationType", "NONE") == "NONE"
    )
    return ", ".join(f"`{key}`" for key in keys) or "none"


def _logs(resources: Resources) -> str:
    logging = _function(resources)["Properties"].get("LoggingConfig", {})
    group = resources[logging["LogGroup"]["Ref"]]["Properties"]
    return (
        f"{logging.get('ApplicationLogLevel', 'INFO')} / {group.get('RetentionInDays', 'never expire')} days"
    )


def _on_removal(resources: Resources) -> str:
    kinds = ("AWS::DynamoDB::GlobalTable", "AWS::Cognito::UserPool", "AWS::SecretsManager::Secret")
    policies = sorted(
        {resource.get("DeletionPolicy", "Delete") for kind in kinds for resource in _of_type(resources, kind)}
    )
    return ", ".join(policies)


def _deletion_protection(resources: Resources) -> str:
    replicas = _one(resources, "AWS::DynamoDB::GlobalTable")["Properties"].get("Replicas", [])
    return (
        "on" if replicas and all(replica.get("DeletionProtectionEnabled") for replica in replicas) else "off"
    )


def _traffic_shifting(resources: Resources) -> str:
    name = _one(resources, "AWS::CodeDeploy::DeploymentGroup")["Properties"].get("DeploymentConfigName")
    if isinstance(name, str):
        return f"`{name}`"
    routing = resources[name["Ref"]]["Properties"]["TrafficRoutingConfig"]
    return f"custom: `{json.dumps(routing, sort_keys=True)}`"


ROWS: tuple[tuple[str, Callable[[Resources], str]], ...] = (
    ("function memory / timeout / reserved concurrency", _sizing),
    ("cold start", _cold_start),
    ("API throttling (rate / burst)", _stage_throttle),
    ("routes with their own throttling (rate / burst)", _route_throttles),
    ("routes without a token", _public_routes),
    ("function log level / retention", _logs),
    ("table, user pool and secret when their stack is deleted", _on_removal),
    ("table deletion protection", _deletion_protection),
    ("traffic shifting (CodeDeploy deployment config)", _traffic_shifting),
)


def environment_table(stages: Mapping[str, Templates]) -> str:
    """``stages``: ``{environment: its stage's templates}``, one column each."""
    resources = [_resources(templates) for templates in stages.values()]
    lines = [
        "| setting | " + " | ".join(stages) + " |",
        "| --- |" + " --- |" * len(stages),
    ]
    for label, read in ROWS:
        lines.append(f"| {plain_cell(label)} | " + " | ".join(read(each) for each in resources) + " |")
    return "\n".join(lines)
