"""CloudFront with a WAF web ACL in front of an HTTP API, and the secret that keeps the way around it shut.

AWS WAF cannot attach to an HTTP API, so the edge is a CloudFront distribution whose web ACL (scope
``CLOUDFRONT``) runs AWS managed rule groups and a rate-based rule per client IP. A web ACL of that scope,
and the certificate of a distribution's domain, must live in us-east-1: this construct belongs in a stack
of that region (``EdgeStack``), and takes only strings from the API's stack (its origin domain, the
hosted zone), so no cross-region reference is needed.

Origin access: the distribution adds :data:`ORIGIN_VERIFY_HEADER` with the value of a Secrets Manager
secret (a CloudFormation dynamic reference, never in the template) to every request; the secret is
replicated to the API's region, where the function compares the header with it and refuses what lacks it
(``runtime/edge_origin.py``). Nothing is cached (``CachingDisabled``); every viewer header but ``Host``
goes to the origin (``AllViewerExceptHostHeader``: with caching off, that forwards ``Authorization``,
which an origin request policy may not name itself). Standard access logs go to an S3 bucket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from serverless_fastapi_cdk.custom_domain import CustomDomain, hosted_zone
from serverless_fastapi_cdk.props import PropsError, require

ORIGIN_VERIFY_HEADER = "x-origin-verify"
"""The header the edge adds; ``runtime.contract.ORIGIN_VERIFY_HEADER`` is the same name."""

DEFAULT_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAnonymousIpList",
)
"""AWS managed rule groups (vendor ``AWS``), in evaluation order."""


@dataclass(frozen=True, kw_only=True)
class EdgeSettings:
    """What the edge enforces."""

    rate_limit_per_ip: int = 1000
    """Requests one client IP may send in any 5 minutes before WAF blocks it, 10..2,000,000,000. Default
    1000 (about 3 a second, sustained)."""
    managed_rule_groups: tuple[str, ...] = DEFAULT_MANAGED_RULE_GROUPS
    """AWS managed rule groups the web ACL runs. Default :data:`DEFAULT_MANAGED_RULE_GROUPS`."""
    web_acl_arn: str | None = None
    """An existing web ACL (scope ``CLOUDFRONT``) to use instead of creating one. Default ``None``."""
    log_retention_days: int = 90
    """Days the distribution's access logs are kept, >= 1. Default 90."""

    def __post_init__(self) -> None:
        require(
            10 <= self.rate_limit_per_ip <= 2_000_000_000,
            "EdgeSettings.rate_limit_per_ip",
            "must be 10..2000000000 (WAF's limits)",
        )
        require(self.log_retention_days >= 1, "EdgeSettings.log_retention_days", "must be >= 1")
        require(
            self.web_acl_arn is None or ":global/webacl/" in self.web_acl_arn,
            "EdgeSettings.web_acl_arn",
            "must be a web ACL of scope CLOUDFRONT (arn:aws:wafv2:us-east-1:<account>:global/webacl/...)",
        )


def origin_domain_name(domain: CustomDomain) -> str:
    """The API's own name behind the edge: ``origin.<public name>``."""
    return f"origin.{domain.domain_name}"


class EdgeProtection(Construct):
    """Certificate (us-east-1), web ACL, origin secret (replicated), distribution, access-log bucket, A/AAAA.

    Public attributes: :attr:`distribution`, :attr:`web_acl_arn`, :attr:`origin_secret`, :attr:`log_bucket`,
    :attr:`url`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain: CustomDomain,
        origin_domain: str,
        origin_secret_name: str,
        origin_regions: Sequence[str],
        settings: EdgeSettings | None = None,
        name_prefix: str = "edge",
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        """Put an edge at ``domain`` in front of ``origin_domain``.

        :param domain: the public name and its hosted zone (required here); ``certificate_arn``, if set,
            must be a us-east-1 certificate. Required.
        :param origin_domain: the API's regional custom domain (``origin.<domain>``). Required.
        :param origin_secret_name: name of the secret whose value the edge sends and the API checks.
            Required.
        :param origin_regions: regions the secret is replicated to (the API's). Required.
        :param settings: rate limit, rule groups, an existing web ACL, log retention. Default
            ``EdgeSettings()``.
        :param name_prefix: names the web ACL and its metrics. Default ``"edge"``.
        :param removal_policy: of the access-log bucket and the secret. Default ``RETAIN``.
        """
        super().__init__(scope, construct_id)
        settings = settings or EdgeSettings()
        if domain.hosted_zone is None:
            raise PropsError("EdgeProtection.domain.hosted_zone: required (the records go there)")
        self.url = domain.url
        zone = hosted_zone(self, "Zone", domain.hosted_zone)
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", domain.certificate_arn)
            if domain.certificate_arn is not None
            else acm.Certificate(
                self,
                "Certificate",
                domain_name=domain.domain_name,
                validation=acm.CertificateValidation.from_dns(zone),
            )
        )
        self.origin_secret = secretsmanager.Secret(
            self,
            "OriginSecret",
            secret_name=origin_secret_name,
            description=f"Sent by the edge in {ORIGIN_VERIFY_HEADER}; the API refuses requests without it",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True
            ),
            replica_regions=[secretsmanager.ReplicaRegion(region=region) for region in origin_regions],
            removal_policy=removal_policy,
        )
        Validations.of(self.origin_secret).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SMG4",
                reason="The distribution reads the value once per deployment (a dynamic reference): a "
                "rotation is a new value then a redeployment of the edge stack (docs/edge.md), not a "
                "rotation function",
            )
        )
        self.web_acl_arn = settings.web_acl_arn or self._web_acl(settings, name_prefix).attr_arn
        self.log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(settings.log_retention_days))],
            removal_policy=removal_policy,
        )
        Validations.of(self.log_bucket).acknowledge(
            Acknowledgment(id="AwsSolutions-S1", reason="The bucket holds access logs: it logs nowhere else")
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{name_prefix}: {domain.domain_name} -> {origin_domain}",
            domain_names=[domain.domain_name],
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_ipv6=True,
            web_acl_id=self.web_acl_arn,
            enable_logging=True,
            log_bucket=self.log_bucket,
            log_file_prefix="cloudfront/",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.HttpOrigin(
                    origin_domain,
                    protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                    origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
                    read_timeout=Duration.seconds(30),
                    custom_headers={ORIGIN_VERIFY_HEADER: self.origin_secret.secret_value.unsafe_unwrap()},
                ),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                compress=True,
            ),
        )
        Validations.of(self.distribution).acknowledge(
            Acknowledgment(
                id="AwsSolutions-CFR1",
                reason="A public API for any country; the web ACL's rules and rate limit do the filtering",
            )
        )
        target = route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution))
        route53.ARecord(self, "AliasA", zone=zone, record_name=domain.domain_name, target=target)
        route53.AaaaRecord(self, "AliasAaaa", zone=zone, record_name=domain.domain_name, target=target)

    def _web_acl(self, settings: EdgeSettings, name_prefix: str) -> wafv2.CfnWebACL:
        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            )

        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=group
                    )
                ),
                visibility_config=visibility(f"{name_prefix}-{group}"),
            )
            for priority, group in enumerate(settings.managed_rule_groups)
        ]
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name="RatePerClientIp",
                priority=len(rules),
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=settings.rate_limit_per_ip, aggregate_key_type="IP", evaluation_window_sec=300
                    )
                ),
                visibility_config=visibility(f"{name_prefix}-rate-per-client-ip"),
            )
        )
        return wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=f"{name_prefix}-edge",
            scope="CLOUDFRONT",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=rules,
            visibility_config=visibility(f"{name_prefix}-edge"),
        )
