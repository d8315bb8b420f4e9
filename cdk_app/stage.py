"""One CDK Stage per environment: its stateful and stateless stacks."""

from __future__ import annotations

from aws_cdk import Environment, Stage
from constructs import Construct

from cdk_app.config import EnvironmentConfig
from cdk_app.stacks.stateful import StatefulStack
from cdk_app.stacks.stateless import ServiceSources, StatelessStack


class ServiceStage(Stage):
    """``<env>/Stateful`` and ``<env>/Stateless``; ``cdk deploy "<env>/*"`` deploys both.

    The JWT issuer is the stateful stack's user pool unless the config names another OIDC issuer.
    Public attributes: :attr:`config`, :attr:`stateful`, :attr:`stateless`.
    """

    def __init__(self, scope: Construct, *, config: EnvironmentConfig, sources: ServiceSources) -> None:
        super().__init__(scope, config.name, env=Environment(account=config.account, region=config.region))
        self.config = config
        self.stateful = StatefulStack(self, "Stateful", config=config)
        identity = self.stateful.identity
        if config.jwt.issuer_url is None:
            issuer, audience = identity.issuer_url, [identity.audience]
        else:
            issuer, audience = config.jwt.issuer_url, list(config.jwt.audience)
        self.stateless = StatelessStack(
            self,
            "Stateless",
            config=config,
            sources=sources,
            table=self.stateful.table,
            cursor_secret=self.stateful.cursor_secret,
            jwt_issuer=issuer,
            jwt_audience=audience,
        )
