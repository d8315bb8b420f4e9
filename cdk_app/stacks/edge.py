"""The edge stack (us-east-1): CloudFront and its WAF web ACL in front of an environment's API."""

from __future__ import annotations

from aws_cdk import Environment, Stack
from constructs import Construct

from cdk_app import service
from cdk_app.config import EnvironmentConfig
from serverless_fastapi_cdk.edge_protection import EdgeProtection, origin_domain_name

EDGE_REGION = "us-east-1"
"""Where CloudFront's web ACLs (scope CLOUDFRONT) and viewer certificates must be."""


def origin_secret_name(config: EnvironmentConfig) -> str:
    return f"{service.NAME}-{config.name}/edge-origin-verify"


class EdgeStack(Stack):
    """``<env>/Edge``: :class:`EdgeProtection` at the environment's domain, its origin ``origin.<domain>``.

    Public attributes: :attr:`edge` (``EdgeProtection``).
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=config.account, region=EDGE_REGION),
            description=f"Items service ({config.name}): CloudFront, WAF web ACL, origin secret",
            analytics_reporting=False,
            termination_protection=config.termination_protection,
        )
        if config.domain is None:
            raise ValueError(f"EdgeStack({config.name!r}): the environment has no domain")
        self.edge = EdgeProtection(
            self,
            "Edge",
            domain=config.domain,
            origin_domain=origin_domain_name(config.domain),
            origin_secret_name=origin_secret_name(config),
            origin_regions=[config.region],
            name_prefix=f"{service.NAME}-{config.name}",
            removal_policy=config.removal_policy,
        )
