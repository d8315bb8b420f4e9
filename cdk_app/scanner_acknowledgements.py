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
