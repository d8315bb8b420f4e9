"""A custom domain for the HTTP API: certificate, API Gateway domain name, alias records A and AAAA.

The hosted zone is named by id and name (no lookup: synthesis stays offline and deterministic). The
certificate is DNS-validated in that zone unless an existing one is imported by ARN. The domain is
dual-stack, so both the A and the AAAA alias records answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from serverless_fastapi_cdk.props import require

_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")


@dataclass(frozen=True, kw_only=True)
class HostedZoneRef:
    """An existing Route 53 public hosted zone, by id and name."""

    zone_id: str
    """``Z...``, as Route 53 shows it. Required."""
    zone_name: str
    """Its domain, ``example.com``. Required."""

    def __post_init__(self) -> None:
        require(
            bool(_ZONE_ID.match(self.zone_id)), "HostedZoneRef.zone_id", f"{self.zone_id!r} is not a zone id"
        )
        require(
            bool(_DOMAIN.match(self.zone_name)),
            "HostedZoneRef.zone_name",
            f"{self.zone_name!r} is not a domain",
        )


@dataclass(frozen=True, kw_only=True)
class CustomDomain:
    """Where clients call the API: a name in a hosted zone, with its certificate."""

    domain_name: str
    """``api.example.com``: lower case, inside ``hosted_zone``'s domain. Required."""
    hosted_zone: HostedZoneRef | None = None
    """The zone that validates the certificate and holds the A/AAAA records. Default ``None``: the caller
    manages DNS (then ``certificate_arn`` is required)."""
    certificate_arn: str | None = None
    """An existing ACM certificate for ``domain_name`` in the API's region. Default ``None``: a new one,
    DNS-validated in ``hosted_zone``."""

    def __post_init__(self) -> None:
        require(
            bool(_DOMAIN.match(self.domain_name)),
            "CustomDomain.domain_name",
            f"{self.domain_name!r} is not a lower-case domain name",
        )
        require(
            self.hosted_zone is not None or self.certificate_arn is not None,
            "CustomDomain.certificate_arn",
            "required without a hosted_zone (nothing could validate a new certificate)",
        )
        if self.hosted_zone is not None:
            zone = self.hosted_zone.zone_name
            require(
                self.domain_name == zone or self.domain_name.endswith(f".{zone}"),
                "CustomDomain.domain_name",
                f"{self.domain_name!r} is not in the hosted zone {zone!r}",
            )
        if self.certificate_arn is not None:
            require(
                bool(_CERTIFICATE_ARN.match(self.certificate_arn)),
                "CustomDomain.certificate_arn",
                f"{self.certificate_arn!r} is not an ACM certificate ARN",
            )

    @property
    def url(self) -> str:
        return f"https://{self.domain_name}"


def hosted_zone(scope: Construct, construct_id: str, zone: HostedZoneRef) -> route53.IHostedZone:
    """The zone, imported by its attributes (never looked up)."""
    return route53.PublicHostedZone.from_public_hosted_zone_attributes(
        scope, construct_id, hosted_zone_id=zone.zone_id, zone_name=zone.zone_name
    )


class ApiDomain(Construct):
    """Certificate (new or imported), regional dual-stack API Gateway domain name and, with a zone, its A and
    AAAA alias records. Map it to a stage with ``DomainMappingOptions(domain_name=self.domain_name)``.

    Public attributes: :attr:`domain_name` (``apigw.DomainName``), :attr:`certificate`, :attr:`zone`
    (``None`` without one), :attr:`url`.
    """

    def __init__(self, scope: Construct, construct_id: str, *, domain: CustomDomain) -> None:
        """:param domain: the name, its zone and certificate. Required."""
        super().__init__(scope, construct_id)
        self.url = domain.url
        self.zone = hosted_zone(self, "Zone", domain.hosted_zone) if domain.hosted_zone else None
        if domain.certificate_arn is not None:
            self.certificate: acm.ICertificate = acm.Certificate.from_certificate_arn(
                self, "Certificate", domain.certificate_arn
            )
        else:
            self.certificate = acm.Certificate(
                self,
                "Certificate",
                domain_name=domain.domain_name,
                validation=acm.CertificateValidation.from_dns(self.zone),
            )
        self.domain_name = apigw.DomainName(
            self,
            "DomainName",
            domain_name=domain.domain_name,
            certificate=self.certificate,
            security_policy=apigw.SecurityPolicy.TLS_1_2,
            ip_address_type=apigw.IpAddressType.DUAL_STACK,
        )
        if self.zone is None:
            return
        target = route53.RecordTarget.from_alias(
            targets.ApiGatewayv2DomainProperties(
                self.domain_name.regional_domain_name, self.domain_name.regional_hosted_zone_id
            )
        )
        route53.ARecord(self, "AliasA", zone=self.zone, record_name=domain.domain_name, target=target)
        route53.AaaaRecord(self, "AliasAaaa", zone=self.zone, record_name=domain.domain_name, target=target)
