"""Acknowledge an IaC-scanner finding on the resource it concerns, with the reason, in the template.

``make test`` runs checkov and cfn-lint over every synthesized template and fails on any finding that
is not acknowledged. An acknowledgement is written into the flagged resource's ``Metadata`` in the form
each scanner reads (checkov: ``checkov.skip[{id, comment}]``; cfn-lint:
``cfn-lint.config.ignore_checks``), so it travels with the resource and a reviewer sees it in the
template and in ``make diff``. cfn-lint has no field for a reason; it is kept beside the directive in
``cfn-lint.reasons`` and the scanner runner refuses an ignored check without one.

Acknowledge only what is deliberate: a real problem is fixed in the construct instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnResource
from constructs import IConstruct

CHECKOV = "checkov"
CFN_LINT = "cfn-lint"


def acknowledge_checkov(construct: IConstruct, check_id: str, *, reason: str) -> None:
    """Skip checkov's ``check_id`` (e.g. ``CKV_AWS_116``) on ``construct``'s resource, saying why."""
    resource = _resource(construct)
    entry = _require_reason(check_id, reason)
    metadata: dict[str, Any] = resource.get_metadata(CHECKOV) or {}
    skips = [skip for skip in metadata.get("skip", []) if skip["id"] != check_id]
    resource.add_metadata(CHECKOV, {**metadata, "skip": [*skips, {"id": check_id, "comment": entry}]})


def acknowledge_cfn_lint(construct: IConstruct, rule_id: str, *, reason: str) -> None:
    """Ignore cfn-lint's ``rule_id`` (e.g. ``W3005``) on ``construct``'s resource, saying why."""
    resource = _resource(construct)
    entry = _require_reason(rule_id, reason)
    metadata: dict[str, Any] = resource.get_metadata(CFN_LINT) or {}
    config = metadata.get("config", {})
    ignored = [rule for rule in config.get("ignore_checks", []) if rule != rule_id]
    resource.add_metadata(
        CFN_LINT,
        {
            **metadata,
            "config": {**config, "ignore_checks": [*ignored, rule_id]},
            "reasons": {**metadata.get("reasons", {}), rule_id: entry},
        },
    )


def _resource(construct: IConstruct) -> CfnResource:
    """The construct itself if it is a CloudFormation resource, else its default child (an L2's L1)."""
    if isinstance(construct, CfnResource):
        return construct
    child = construct.node.default_child
    if isinstance(child, CfnResource):
        return child
    raise TypeError(f"{construct.node.path} is not a CloudFormation resource and has none as default child")


def _require_reason(finding: str, reason: str) -> str:
    if not reason.strip():
        raise ValueError(f"acknowledging {finding} needs a reason")
    return reason.strip()


def acknowledge_function_baseline(
    function: IConstruct,
    *,
    aws_services: Sequence[str],
    environment: str,
) -> None:
    """The findings every function of this library shares, with reasons true for ``function``.

    Every function the constructs create has its own log group (with retention) and a role with a
    default policy, calls only AWS service endpoints (no VPC) and keeps no secret in its environment.
    ``aws_services`` names the services its code calls and ``environment`` what its variables hold, both
    as its creator states them.
    """
    if not aws_services:
        raise ValueError("acknowledge_function_baseline needs the AWS services the function calls")
    acknowledge_checkov(
        function,
        "CKV_AWS_117",
        reason=(
            f"Calls only AWS service endpoints ({', '.join(aws_services)}) and no private network resource; "
            "a VPC would add NAT cost and cold-start latency without narrowing access, which the execution "
            "role already scopes"
        ),
    )
    acknowledge_checkov(
        function,
        "CKV_AWS_173",
        reason=f"The environment holds {environment}; Lambda encrypts it at rest with its AWS managed key",
    )
    acknowledge_cfn_lint(
        function,
        "WS1004",
        reason=(
            "The function logs to its own log group with a retention (LoggingConfig.LogGroup); the rule "
            "only recognises the default /aws/lambda/<function name> group"
        ),
    )
    acknowledge_cfn_lint(
        function,
        "W3005",
        reason=(
            "CDK makes the function DependsOn its role and the role's default policy so that the grants "
            "exist before the first invocation; the role entry repeats the GetAtt dependency, harmlessly"
        ),
    )


def acknowledge_log_group_encryption(log_group: IConstruct) -> None:
    """checkov CKV_AWS_158 (no KMS key) on a log group of this library, for the reason given here."""
    acknowledge_checkov(
        log_group,
        "CKV_AWS_158",
        reason=(
            "CloudWatch Logs encrypts every log group at rest; the logs hold request metadata and no "
            "secrets, so a customer managed key would add cost and a key policy without protecting more"
        ),
    )
