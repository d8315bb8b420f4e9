"""One CDK Stage per environment (its stateful and stateless stacks), and one with its deploy roles."""

from __future__ import annotations

from aws_cdk import Environment, Stage
from constructs import Construct

from cdk_app.config import EnvironmentConfig
from cdk_app.delivery import STAGE_PREFIX, DeliverySettings
from cdk_app.stacks.deploy_roles import DeployRolesStack
from cdk_app.stacks.stateful import StatefulStack
from cdk_app.stacks.stateless import ServiceSources, StatelessStack
from serverless_fastapi_cdk.user_pool import ApiUserPool


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
            if identity.machine is not None:
                audience.append(identity.machine.client.user_pool_client_id)
            deployment_check: ApiUserPool | None = identity
        else:
            issuer, audience = config.jwt.issuer_url, list(config.jwt.audience)
            deployment_check = None
        self.stateless = StatelessStack(
            self,
            "Stateless",
            config=config,
            sources=sources,
            table=self.stateful.table,
            cursor_secret=self.stateful.cursor_secret,
            jwt_issuer=issuer,
            jwt_audience=audience,
            deployment_check=deployment_check,
        )


class DeliveryStage(Stage):
    """``ci-<env>/DeployRoles``: the roles GitHub Actions uses for ``<env>``, in its account and region.

    A stage of its own, not a stack of ``<env>``: ``make deploy ENV=dev`` (``dev/*``), the local emulator
    (which reads the ``dev`` stage) and the service's stacks never include it, and an administrator deploys
    it once per environment (``make deploy ENV=ci-dev``) before any workflow can, since the workflows
    deploy with these roles. Public attributes: :attr:`environment_name`, :attr:`deploy_roles`.
    """

    def __init__(self, scope: Construct, *, config: EnvironmentConfig, settings: DeliverySettings) -> None:
        super().__init__(
            scope,
            f"{STAGE_PREFIX}{config.name}",
            env=Environment(account=config.account, region=config.region),
        )
        self.environment_name = config.name
        self.deploy_roles = DeployRolesStack(self, "DeployRoles", environment=config.name, settings=settings)
