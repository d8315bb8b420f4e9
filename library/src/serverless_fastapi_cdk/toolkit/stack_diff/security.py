"""The security rules: what a change grants, to whom, and what it opens to the public.

Every policy document in a resource (IAM policies and roles, trust policies, resource policies such as
a table's or a secret's) is compared statement by statement; Lambda permissions, authorizers, route
authorization and the public-exposure switches are reported on their own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from serverless_fastapi_cdk.toolkit.stack_diff.compare import (
    ChangeKind,
    PropertyChange,
    ResourceChange,
    StackDiff,
)
from serverless_fastapi_cdk.toolkit.stack_diff.values import short

type Statement = Mapping[str, Any]

AUTHORIZER_TYPES = frozenset({"AWS::ApiGatewayV2::Authorizer", "AWS::ApiGateway::Authorizer"})
ROUTE_TYPES = frozenset({"AWS::ApiGatewayV2::Route", "AWS::ApiGateway::Method"})
ROUTE_AUTH_PROPERTIES = frozenset({"AuthorizationType", "AuthorizerId", "AuthorizationScopes"})
UNAUTHENTICATED = frozenset({"NONE", None})


class SecurityCategory(StrEnum):
    PUBLIC = "public exposure"
    IAM = "IAM"
    RESOURCE_POLICY = "resource policy"
    AUTHORIZATION = "authorization"


@dataclass(frozen=True)
class SecurityChange:
    category: SecurityCategory
    stack: str
    logical_id: str
    resource_type: str
    summary: str


def find_security_changes(stack: StackDiff) -> list[SecurityChange]:
    """Every security-relevant change of one stack, public exposure first."""
    found: list[SecurityChange] = []
    for change in stack.resources:
        for category, summary in _resource_findings(change):
            found.append(
                SecurityChange(category, stack.name, change.logical_id, change.resource_type, summary)
            )
    order = list(SecurityCategory)
    return sorted(found, key=lambda item: order.index(item.category))


def _resource_findings(change: ResourceChange) -> Iterator[tuple[SecurityCategory, str]]:
    yield from _statement_findings(change)
    if change.resource_type == "AWS::Lambda::Permission":
        yield from _permission_findings(change)
    elif change.resource_type in AUTHORIZER_TYPES:
        yield SecurityCategory.AUTHORIZATION, f"authorizer {change.kind}{_paths(change.changes)}"
    elif change.resource_type in ROUTE_TYPES:
        yield from _route_findings(change)
    yield from _public_switch_findings(change)


def _statement_findings(change: ResourceChange) -> Iterator[tuple[SecurityCategory, str]]:
    category = (
        SecurityCategory.IAM
        if change.resource_type.startswith("AWS::IAM::")
        else SecurityCategory.RESOURCE_POLICY
    )
    before = policy_statements(change.old)
    after = policy_statements(change.new)
    for location in sorted(before.keys() | after.keys()):
        old = {_canonical(statement): statement for statement in before.get(location, [])}
        new = {_canonical(statement): statement for statement in after.get(location, [])}
        added = [new[key] for key in sorted(new.keys() - old.keys())]
        removed = [old[key] for key in sorted(old.keys() - new.keys())]
        for statement in added:
            if _is_public(statement):
                yield (
                    SecurityCategory.PUBLIC,
                    f"{location}: + {describe_statement(statement)} (ANY principal)",
                )
        for before_statement, after_statement in _same_scope_pairs(removed, added):
            yield category, f"{location}: ~ {_describe_action_change(before_statement, after_statement)}"
        for statement in added:
            yield category, f"{location}: + {describe_statement(statement)}"
        for statement in removed:
            yield category, f"{location}: - {describe_statement(statement)}"
    if change.resource_type == "AWS::IAM::Role":
        for prop in change.changes:
            if prop.top_level_property in ("ManagedPolicyArns", "PermissionsBoundary"):
                yield category, f"{prop.path}: {short(prop.old)} -> {short(prop.new)}"


SCOPE_KEYS = ("Effect", "Principal", "NotPrincipal", "Resource", "NotResource", "Condition")
"""What a statement applies to; two statements with the same scope differ only in their actions."""


def _same_scope_pairs(removed: list[Statement], added: list[Statement]) -> list[tuple[Statement, Statement]]:
    """Pairs (old, new) of statements whose scope is unchanged, taken out of ``removed`` and ``added``."""
    pairs = []
    for old in list(removed):
        scope = _canonical({key: old.get(key) for key in SCOPE_KEYS})
        match = next(
            (new for new in added if _canonical({key: new.get(key) for key in SCOPE_KEYS}) == scope), None
        )
        if match is not None and "Action" in old and "Action" in match:
            pairs.append((old, match))
            removed.remove(old)
            added.remove(match)
    return pairs


def _describe_action_change(old: Statement, new: Statement) -> str:
    """``Allow on Table.Arn: + dynamodb:Scan; - dynamodb:Query``."""
    before = {short(action) for action in _as_list(old["Action"])}
    after = {short(action) for action in _as_list(new["Action"])}
    scope = describe_statement({key: value for key, value in new.items() if key != "Action"}).replace(
        " ?", "", 1
    )
    changes = [f"+ {action}" for action in sorted(after - before)] + [
        f"- {a}" for a in sorted(before - after)
    ]
    return f"{scope}: {'; '.join(changes)}"


def policy_statements(resource: Mapping[str, Any] | None) -> dict[str, list[Statement]]:
    """Policy statements by location (``Properties.PolicyDocument``) found anywhere in the properties,
    documents given as JSON strings (``AWS::Logs::ResourcePolicy``) included."""
    found: dict[str, list[Statement]] = {}
    if resource is not None:
        _collect_statements(resource.get("Properties", {}), "Properties", found)
    return found


def _collect_statements(value: Any, path: str, into: dict[str, list[Statement]]) -> None:
    if isinstance(value, str) and '"Statement"' in value:
        try:
            value = json.loads(value)
        except ValueError:
            return
    if isinstance(value, dict):
        if "Statement" in value:
            statements = value["Statement"]
            into[path] = statements if isinstance(statements, list) else [statements]
            return
        for key, child in value.items():
            _collect_statements(child, f"{path}.{key}", into)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            _collect_statements(child, f"{path}[{index}]", into)


def _canonical(statement: Statement) -> str:
    return json.dumps(statement, sort_keys=True)


def describe_statement(statement: Statement, *, with_actions: bool = True) -> str:
    """``Allow dynamodb:GetItem, dynamodb:PutItem on Table.Arn [to principal] [if condition]``."""
    parts = [str(statement.get("Effect", "?"))]
    if with_actions:
        parts.append(_listed(statement.get("Action", statement.get("NotAction", "?"))))
    resources = statement.get("Resource", statement.get("NotResource"))
    if resources is not None:
        parts.append(f"on {_listed(resources)}")
    if "Principal" in statement:
        parts.append(f"to {short(statement['Principal'])}")
    if "Condition" in statement:
        parts.append(f"if {short(statement['Condition'])}")
    return " ".join(parts)


def _listed(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    return ", ".join(short(item, limit=80) for item in items)


def _is_public(statement: Statement) -> bool:
    principal = statement.get("Principal")
    anyone = principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS")))
    return statement.get("Effect") == "Allow" and anyone and "Condition" not in statement


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _permission_findings(change: ResourceChange) -> Iterator[tuple[SecurityCategory, str]]:
    properties = (change.new or change.old or {}).get("Properties", {})
    grant = (
        f"{properties.get('Action', '?')} to {short(properties.get('Principal'))}"
        f" from {short(properties.get('SourceArn', properties.get('SourceAccount', 'anywhere')))}"
        f" on {short(properties.get('FunctionName'))}"
    )
    yield (
        SecurityCategory.RESOURCE_POLICY,
        f"Lambda permission {change.kind}: {grant}{_paths(change.changes)}",
    )
    if (
        change.kind is not ChangeKind.REMOVED
        and properties.get("Principal") == "*"
        and not {"SourceArn", "SourceAccount", "PrincipalOrgID"} & properties.keys()
    ):
        yield (
            SecurityCategory.PUBLIC,
            f"Lambda permission lets ANY principal call {short(properties.get('FunctionName'))}",
        )


def _route_findings(change: ResourceChange) -> Iterator[tuple[SecurityCategory, str]]:
    properties = (change.new or change.old or {}).get("Properties", {})
    route = (
        properties.get("RouteKey")
        or f"{properties.get('HttpMethod', '?')} {short(properties.get('ResourceId'))}"
    )
    auth = properties.get("AuthorizationType")
    auth_changes = [prop for prop in change.changes if prop.top_level_property in ROUTE_AUTH_PROPERTIES]
    if change.kind is ChangeKind.CHANGED and not auth_changes:
        return
    detail = _paths(tuple(auth_changes)) if auth_changes else f" (authorization {auth or 'NONE'})"
    yield SecurityCategory.AUTHORIZATION, f"route {route} {change.kind}{detail}"
    if change.kind is not ChangeKind.REMOVED and auth in UNAUTHENTICATED:
        yield SecurityCategory.PUBLIC, f"route {route} is reachable without authorization"


def _public_switch_findings(change: ResourceChange) -> Iterator[tuple[SecurityCategory, str]]:
    if change.kind is ChangeKind.REMOVED or change.new is None:
        return
    new = change.new.get("Properties", {})
    old = (change.old or {}).get("Properties", {})
    if (
        change.resource_type == "AWS::Lambda::Url"
        and new.get("AuthType") == "NONE"
        and old.get("AuthType") != "NONE"
    ):
        yield SecurityCategory.PUBLIC, "function URL without authentication"
    if change.resource_type == "AWS::Cognito::UserPool":
        admin_only = new.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly", False)
        was_admin_only = old.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly", False)
        if not admin_only and (was_admin_only or change.kind is ChangeKind.ADDED):
            yield SecurityCategory.PUBLIC, "user pool allows self sign-up"
    new_origins = _as_list(new.get("CorsConfiguration", {}).get("AllowOrigins", []))
    old_origins = _as_list(old.get("CorsConfiguration", {}).get("AllowOrigins", []))
    if "*" in new_origins and "*" not in old_origins:
        yield SecurityCategory.PUBLIC, "CORS allows any origin"
    for prop in change.changes:
        if prop.top_level_property == "PublicAccessBlockConfiguration":
            yield SecurityCategory.PUBLIC, f"{prop.path}: {short(prop.old)} -> {short(prop.new)}"


def _paths(changes: tuple[PropertyChange, ...]) -> str:
    if not changes:
        return ""
    return ": " + "; ".join(f"{prop.path} {short(prop.old, 60)} -> {short(prop.new, 60)}" for prop in changes)
