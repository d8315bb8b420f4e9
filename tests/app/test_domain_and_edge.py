"""Custom domains and edge protection, configured through CDK context as a deployment would.

One extra synthesis of the real app: staging gets a domain (no edge: its default), prod a domain with
edge protection (its default where a domain is set). Both stay cdk-nag clean; environments without a
domain are the session's shared synthesis, whose templates hold no domain resource at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cdk_app.config import PROD, ConfigError, with_context
from tests.app.test_nag import violations
from tests.support.cdk_synthesis import SynthesizedApp, resources_of_type, synthesize_app

ZONE_ID = "Z0123456789ABCDEFGHIJ"
ZONE = "items.example.com"
CONTEXT = {
    "staging:domain_name": f"api.staging.{ZONE}",
    "staging:hosted_zone_id": ZONE_ID,
    "staging:hosted_zone_name": ZONE,
    "prod:domain_name": f"api.{ZONE}",
    "prod:hosted_zone_id": ZONE_ID,
    "prod:hosted_zone_name": ZONE,
}


@pytest.fixture(scope="session")
def with_domains(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    return synthesize_app(tmp_path_factory.mktemp("domains"), **CONTEXT)


def _template(app: SynthesizedApp, environment: str, kind: str) -> dict[str, Any]:
    stage = app.stages[environment]
    stack = {"Edge": stage.edge, "Stateless": stage.stateless, "Stateful": stage.stateful}[kind]
    assert stack is not None, f"{environment} has no {kind} stack"
    path: Path = app.outdir / f"assembly-{environment}" / str(stack.template_file)
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _one(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (found,) = resources_of_type(template, resource_type).values()
    return found["Properties"]  # type: ignore[no-any-return]


def test_a_domain_gets_a_dns_validated_certificate_a_mapping_and_a_and_aaaa_records(
    with_domains: SynthesizedApp,
) -> None:
    template = _template(with_domains, "staging", "Stateless")

    certificate = _one(template, "AWS::CertificateManager::Certificate")
    assert certificate["DomainName"] == f"api.staging.{ZONE}"
    assert certificate["DomainValidationOptions"] == [
        {"DomainName": f"api.staging.{ZONE}", "HostedZoneId": ZONE_ID}
    ]
    domain = _one(template, "AWS::ApiGatewayV2::DomainName")
    assert domain["DomainNameConfigurations"][0]["SecurityPolicy"] == "TLS_1_2"
    assert domain["DomainNameConfigurations"][0]["IpAddressType"] == "dualstack"
    assert _one(template, "AWS::ApiGatewayV2::ApiMapping")["Stage"]
    records = resources_of_type(template, "AWS::Route53::RecordSet").values()
    assert sorted(r["Properties"]["Type"] for r in records) == ["A", "AAAA"]
    assert all(r["Properties"]["HostedZoneId"] == ZONE_ID for r in records)
    assert _one(template, "AWS::ApiGatewayV2::Api")["DisableExecuteApiEndpoint"] is True
    assert with_domains.stages["staging"].edge is None


def test_the_post_traffic_hook_calls_the_public_domain(with_domains: SynthesizedApp) -> None:
    for environment, url in (("staging", f"https://api.staging.{ZONE}"), ("prod", f"https://api.{ZONE}")):
        template = _template(with_domains, environment, "Stateless")
        hooks = [
            f["Properties"]["Environment"]["Variables"]
            for f in resources_of_type(template, "AWS::Lambda::Function").values()
            if "STAGE_URL" in f["Properties"].get("Environment", {}).get("Variables", {})
        ]
        assert [hook["STAGE_URL"] for hook in hooks] == [url]


def test_prod_with_a_domain_is_behind_cloudfront_and_waf_in_us_east_1(with_domains: SynthesizedApp) -> None:
    stage = with_domains.stages["prod"]
    assert stage.edge is not None
    assert stage.edge.region == "us-east-1"
    edge = _template(with_domains, "prod", "Edge")

    distribution = _one(edge, "AWS::CloudFront::Distribution")["DistributionConfig"]
    assert distribution["Aliases"] == [f"api.{ZONE}"]
    assert distribution["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert distribution["WebACLId"] == {
        "Fn::GetAtt": [next(iter(resources_of_type(edge, "AWS::WAFv2::WebACL"))), "Arn"]
    }
    assert distribution["Logging"]["Bucket"]
    (origin,) = distribution["Origins"]
    assert origin["DomainName"] == f"origin.api.{ZONE}"
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    (header,) = origin["OriginCustomHeaders"]
    assert header["HeaderName"] == "x-origin-verify"
    secret_id = next(iter(resources_of_type(edge, "AWS::SecretsManager::Secret")))
    assert "{{resolve:secretsmanager:" in json.dumps(header["HeaderValue"])
    assert secret_id in json.dumps(header["HeaderValue"]), "the value is a dynamic reference, never literal"
    behavior = distribution["DefaultCacheBehavior"]
    assert behavior["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    assert behavior["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # AllViewerExceptHost
    assert "DELETE" in behavior["AllowedMethods"]


def test_the_web_acl_runs_managed_rules_and_a_rate_limit_per_client_ip(with_domains: SynthesizedApp) -> None:
    acl = _one(_template(with_domains, "prod", "Edge"), "AWS::WAFv2::WebACL")

    assert acl["Scope"] == "CLOUDFRONT"
    managed = [r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in acl["Rules"][:-1]]
    assert "AWSManagedRulesCommonRuleSet" in managed
    assert "AWSManagedRulesKnownBadInputsRuleSet" in managed
    rate = acl["Rules"][-1]
    assert rate["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "EvaluationWindowSec": 300,
        "Limit": 1000,
    }
    assert rate["Action"] == {"Block": {}}


def test_behind_the_edge_the_api_is_origin_dot_domain_and_checks_the_secret(
    with_domains: SynthesizedApp,
) -> None:
    template = _template(with_domains, "prod", "Stateless")

    assert _one(template, "AWS::ApiGatewayV2::DomainName")["DomainName"] == f"origin.api.{ZONE}"
    assert _one(template, "AWS::ApiGatewayV2::Api")["DisableExecuteApiEndpoint"] is True
    (function,) = (
        f["Properties"]
        for f in resources_of_type(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("SnapStart")
    )
    assert function["Environment"]["Variables"]["ORIGIN_SECRET_NAME"] == "items-prod/edge-origin-verify"
    policies = json.dumps(resources_of_type(template, "AWS::IAM::Policy"))
    assert "secret:items-prod/edge-origin-verify-??????" in policies
    secret = _one(_template(with_domains, "prod", "Edge"), "AWS::SecretsManager::Secret")
    assert secret["ReplicaRegions"] == [{"Region": "eu-west-1"}]


def test_domains_and_the_edge_are_cdk_nag_clean(with_domains: SynthesizedApp) -> None:
    assert violations(with_domains.app) == []


def test_environments_without_a_domain_have_no_domain_resources(
    template_json: Callable[[str, str], dict[str, Any]],
) -> None:
    for environment in ("dev", "staging", "prod"):
        template = template_json(environment, "Stateless")
        for kind in (
            "AWS::ApiGatewayV2::DomainName",
            "AWS::Route53::RecordSet",
            "AWS::CloudFront::Distribution",
        ):
            assert not resources_of_type(template, kind), (environment, kind)
        assert "DisableExecuteApiEndpoint" not in _one(template, "AWS::ApiGatewayV2::Api")


def test_edge_protection_can_be_turned_off_by_context_and_a_domain_needs_its_zone() -> None:
    lookup = {**CONTEXT, "prod:edge_protection": "false"}.get
    assert not with_context(PROD, lookup).edge
    with pytest.raises(ConfigError, match="prod:domain_name"):
        with_context(PROD, {"prod:hosted_zone_id": ZONE_ID}.get)
    with pytest.raises(ConfigError, match="prod:edge_protection"):
        with_context(PROD, {"prod:edge_protection": "maybe"}.get)


def test_make_cost_prices_the_edge_where_it_is_on(with_domains: SynthesizedApp) -> None:
    from tools.cost.report import estimate

    templates = {kind: _template(with_domains, "prod", kind) for kind in ("Edge", "Stateful", "Stateless")}
    result = estimate("prod", templates, region="eu-west-1", requests=1_000_000, item_size=300)

    lines = {(item.service, item.what): item for item in result.items}
    assert lines[("WAF", "rules and rule groups")].quantity == 5
    assert lines[("CloudFront", "HTTPS requests")].quantity == 100
    assert ("Data transfer", "out to the internet") not in lines


def test_the_edge_stack_comes_after_the_stateful_one_and_before_the_stateless_one(
    with_domains: SynthesizedApp,
) -> None:
    from tools.deploy.targets import stage_targets

    names = [target.name for target in stage_targets(with_domains.outdir, "prod")]

    assert names.index("prod/Stateful") < names.index("prod/Edge") < names.index("prod/Stateless")
    assert names[0] == "prod/Stateful", "make logs and make drift read the first stack's region"
