"""The danger rules: changes that lose data or identity held by a stateful resource.

A stateful resource keeps something a redeploy cannot bring back: items in a table, users in a user
pool (and the client id their apps hold), a secret's value, log events, what a key encrypted, a topic's
subscriptions, a queue's messages, a bucket's objects. It is in danger when CloudFormation would replace
it, delete it or orphan it (remove it from the stack and keep it, unmanaged), or create it anew under
another logical id (CloudFormation sees a new resource and deletes the old one), and when its protection
against deletion is weakened. A retained resource of any type that a removal orphans is a danger too.

Which property changes replace a resource comes from CloudFormation's resource specification through
``@aws-cdk/cloudformation-diff`` (:mod:`toolkit.stack_diff.engine`), for every type. The project's own rules
add what the specification does not say: renames (a removal paired with an addition), weakened
protection, and the properties in :attr:`StatefulType.also_replacing`, each citing the AWS documentation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from serverless_fastapi_cdk.toolkit.stack_diff.compare import ChangeKind, ResourceChange, StackDiff
from serverless_fastapi_cdk.toolkit.stack_diff.engine import ResourceImpact, StackImpacts, stack_impacts
from serverless_fastapi_cdk.toolkit.stack_diff.values import short

COGNITO_LOCKED_SETTINGS = (
    "https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pool-updating.html"
)
DYNAMODB_TABLE = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html"
)


@dataclass(frozen=True)
class StatefulType:
    """What a stateful resource type holds, and the replacing properties the specification misses."""

    label: str
    also_replacing: frozenset[str] = frozenset()
    """Properties that cannot change in place although the resource specification says they can."""
    reference: str = ""
    """The AWS documentation saying so."""


STATEFUL_TYPES: Mapping[str, StatefulType] = {
    "AWS::DynamoDB::GlobalTable": StatefulType("DynamoDB table"),
    # "LocalSecondaryIndexes: Update requires: Replacement" in the resource reference; the specification
    # the engine reads marks it mutable.
    "AWS::DynamoDB::Table": StatefulType(
        "DynamoDB table", frozenset({"LocalSecondaryIndexes"}), DYNAMODB_TABLE
    ),
    # Cognito's "Settings you can't change" after a pool is created: sign-in aliases and username
    # attributes, username case sensitivity, and existing (required or custom) attributes of the schema.
    "AWS::Cognito::UserPool": StatefulType(
        "Cognito user pool",
        frozenset({"AliasAttributes", "UsernameAttributes", "UsernameConfiguration", "Schema"}),
        COGNITO_LOCKED_SETTINGS,
    ),
    "AWS::Cognito::UserPoolClient": StatefulType("Cognito app client (its client id is the JWT audience)"),
    "AWS::Cognito::IdentityPool": StatefulType("Cognito identity pool (its identity ids)"),
    "AWS::SecretsManager::Secret": StatefulType("Secrets Manager secret"),
    "AWS::Logs::LogGroup": StatefulType("CloudWatch log group (its log events)"),
    "AWS::KMS::Key": StatefulType("KMS key (what it encrypted)"),
    "AWS::SNS::Topic": StatefulType("SNS topic (its subscriptions)"),
    "AWS::SNS::Subscription": StatefulType("SNS subscription (e-mail endpoints must confirm again)"),
    "AWS::SQS::Queue": StatefulType("SQS queue (its messages)"),
    "AWS::S3::Bucket": StatefulType("S3 bucket (its objects)"),
    "AWS::RDS::DBInstance": StatefulType("RDS database instance"),
    "AWS::RDS::DBCluster": StatefulType("RDS database cluster"),
    "AWS::EFS::FileSystem": StatefulType("EFS file system"),
    "AWS::Kinesis::Stream": StatefulType("Kinesis stream (its records)"),
    "AWS::ECR::Repository": StatefulType("ECR repository (its images)"),
    "AWS::Backup::BackupVault": StatefulType("AWS Backup vault (its recovery points)"),
    "AWS::OpenSearchService::Domain": StatefulType("OpenSearch domain (its indexes)"),
    "AWS::ElastiCache::ReplicationGroup": StatefulType("ElastiCache replication group"),
}


class DangerKind(StrEnum):
    REPLACEMENT = "replacement"
    DELETION = "deletion"
    ORPHANED = "orphaned"
    LOGICAL_ID_CHANGE = "logical id change"
    PROTECTION_WEAKENED = "protection weakened"


@dataclass(frozen=True)
class Danger:
    kind: DangerKind
    stack: str
    logical_id: str
    resource_type: str
    construct_path: str
    detail: str


def is_stateful(resource_type: str) -> bool:
    return resource_type in STATEFUL_TYPES


def find_dangers(
    stacks: Iterable[StackDiff], impacts: Mapping[str, StackImpacts] | None = None
) -> list[Danger]:
    """Every danger in the given stack diffs; moves are paired within one environment.

    ``impacts`` are the engine's answers by stack name; by default the engine is asked here.
    """
    stacks = list(stacks)
    if impacts is None:
        impacts = stack_impacts(stacks)
    by_environment: dict[str, list[StackDiff]] = {}
    for stack in stacks:
        by_environment.setdefault(stack.environment, []).append(stack)
    dangers: list[Danger] = []
    for environment_stacks in by_environment.values():
        dangers.extend(_environment_dangers(environment_stacks, impacts))
    return dangers


def _environment_dangers(stacks: list[StackDiff], impacts: Mapping[str, StackImpacts]) -> list[Danger]:
    dangers: list[Danger] = []
    added = [
        (stack, change)
        for stack in stacks
        for change in stack.of_kind(ChangeKind.ADDED)
        if is_stateful(change.resource_type)
    ]
    for stack in stacks:
        engine = impacts.get(stack.name, StackImpacts({}, permissions_broadened=False))
        for change in stack.resources:
            old_type = (change.old or {}).get("Type", change.resource_type)
            impact = engine.resources.get(change.logical_id)
            if not (is_stateful(change.resource_type) or is_stateful(old_type)):
                if (
                    change.kind is ChangeKind.REMOVED
                    and impact is not None
                    and impact.impact == "WILL_ORPHAN"
                ):
                    dangers.append(_orphan_danger(stack.name, change))
                continue
            if change.kind is ChangeKind.CHANGED and old_type != change.resource_type:
                dangers.append(_type_change_danger(stack.name, change, old_type))
            elif change.kind is ChangeKind.CHANGED:
                dangers.extend(_changed_dangers(stack.name, change, impact))
            elif change.kind is ChangeKind.REMOVED:
                successor = _successor(change, added)
                if successor is not None:
                    added.remove(successor)
                dangers.append(_removal_danger(stack.name, change, successor))
    return dangers


def _changed_dangers(stack: str, change: ResourceChange, impact: ResourceImpact | None) -> list[Danger]:
    stateful = STATEFUL_TYPES[change.resource_type]
    dangers: list[Danger] = []
    by_engine = set(impact.replacing) if impact is not None and impact.replaces else set()
    by_project = {
        str(prop.top_level_property)
        for prop in change.changes
        if prop.top_level_property in stateful.also_replacing
    }
    names = sorted(by_engine | by_project)
    if names or (impact is not None and impact.replaces):
        replacing = [prop for prop in change.changes if prop.top_level_property in names]
        shown = "; ".join(
            f"{prop.path.removeprefix('Properties.')} {short(prop.old)} -> {short(prop.new)}"
            for prop in replacing
        )
        certainty = (
            "MAY BE REPLACED" if by_engine and impact and impact.impact == "MAY_REPLACE" else "is REPLACED"
        )
        source = f"; see {stateful.reference}" if by_project - by_engine else ""
        dangers.append(
            _danger(
                DangerKind.REPLACEMENT,
                stack,
                change,
                f"{stateful.label} {certainty} by a new, empty one and the old one is "
                f"{_fate((change.old or {}).get('UpdateReplacePolicy'))}: "
                f"{', '.join(names) or 'the change'} cannot change in place ({shown or 'per CloudFormation'})"
                f"{source}",
            )
        )
    weakened = _weakened_protection(change.old or {}, change.new or {})
    if weakened:
        dangers.append(
            _danger(DangerKind.PROTECTION_WEAKENED, stack, change, f"{stateful.label}: {'; '.join(weakened)}")
        )
    return dangers


def _type_change_danger(stack: str, change: ResourceChange, old_type: str) -> Danger:
    label = STATEFUL_TYPES[old_type].label if is_stateful(old_type) else old_type
    return _danger(
        DangerKind.REPLACEMENT,
        stack,
        change,
        f"{label} changes type {old_type} -> {change.resource_type}: CloudFormation replaces it, and the old "
        f"one is {_fate((change.old or {}).get('UpdateReplacePolicy'))}",
    )


def _weakened_protection(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    notes = [
        f"{policy} {old.get(policy)} -> {new.get(policy, 'Delete (default)')}"
        for policy in ("DeletionPolicy", "UpdateReplacePolicy")
        if old.get(policy) in ("Retain", "RetainExceptOnCreate", "Snapshot")
        and new.get(policy) != old.get(policy)
    ]
    for flag in ("DeletionProtectionEnabled", "DeletionProtection"):
        before = old.get("Properties", {}).get(flag)
        after = new.get("Properties", {}).get(flag)
        if before in (True, "true", "ACTIVE") and after not in (True, "true", "ACTIVE"):
            notes.append(f"{flag} {before} -> {after if after is not None else '(absent)'}")
    return notes


def _successor(
    removed: ResourceChange, added: list[tuple[StackDiff, ResourceChange]]
) -> tuple[StackDiff, ResourceChange] | None:
    """The added resource that takes the removed one's place: same construct path, else same type."""
    same_type = [candidate for candidate in added if candidate[1].resource_type == removed.resource_type]
    for candidate in same_type:
        if _construct_tail(candidate[1]) == _construct_tail(removed):
            return candidate
    return same_type[0] if len(same_type) == 1 else None


def _construct_tail(change: ResourceChange) -> tuple[str, ...]:
    """The last two construct-path segments (``Table/Resource``): stable when a stack or stage is renamed."""
    return tuple(change.construct_path.split("/")[-2:])


def _removal_danger(
    stack: str, removed: ResourceChange, successor: tuple[StackDiff, ResourceChange] | None
) -> Danger:
    stateful = STATEFUL_TYPES[removed.resource_type]
    fate = _fate((removed.old or {}).get("DeletionPolicy"))
    if successor is None:
        return _danger(DangerKind.DELETION, stack, removed, f"{stateful.label} is removed: {fate}")
    new_stack, new = successor
    where = new.logical_id if new_stack.name == stack else f"{new.logical_id} in {new_stack.name}"
    return _danger(
        DangerKind.LOGICAL_ID_CHANGE,
        stack,
        removed,
        f"{stateful.label} logical id changes {removed.logical_id} -> {where}: CloudFormation creates a "
        f"new, empty resource and the old one is {fate}",
    )


def _orphan_danger(stack: str, removed: ResourceChange) -> Danger:
    policy = (removed.old or {}).get("DeletionPolicy")
    return _danger(
        DangerKind.ORPHANED,
        stack,
        removed,
        f"{removed.resource_type} is removed from the stack but kept ({policy}): it lives on, unmanaged, "
        "and a new stack cannot create one of the same name",
    )


def _fate(policy: object) -> str:
    """What CloudFormation does with the old resource under a DeletionPolicy / UpdateReplacePolicy."""
    if policy in ("Retain", "RetainExceptOnCreate"):
        return f"kept but orphaned from the stack ({policy})"
    if policy == "Snapshot":
        return "DELETED after a snapshot"
    return "DELETED with its data"


def _danger(kind: DangerKind, stack: str, change: ResourceChange, detail: str) -> Danger:
    return Danger(kind, stack, change.logical_id, change.resource_type, change.construct_path, detail)
