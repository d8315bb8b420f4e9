"""The stateful stack: what holds data and identities, and outlives any deployment of the code."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk_app.config import EnvironmentConfig
from runtime import contract
from serverless_fastapi_cdk.scanner_acknowledgements import acknowledge_checkov
from serverless_fastapi_cdk.service_table import ServiceTable
from serverless_fastapi_cdk.user_pool import ApiUserPool, MachineClientSettings

DEPLOYMENT_CHECK_RESOURCE_SERVER = "items-api"
DEPLOYMENT_CHECK_SCOPE = "deployment-check"
"""The post-traffic hook's client's only scope; no route requires it, so it grants nothing beyond a token."""


class StatefulStack(Stack):
    """Table, Cognito user pool and app client (the default JWT issuer), cursor-signing secret.

    With the user pool as issuer, the pool also holds the post-traffic hook's client-credentials client.

    Public attributes: :attr:`table`, :attr:`identity` (``ApiUserPool``), :attr:`cursor_secret`.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"Items service ({config.name}): table, user pool, cursor-signing secret",
            termination_protection=config.termination_protection,
            analytics_reporting=False,
        )
        self.table = ServiceTable(
            self,
            "Items",
            partition_key=contract.TABLE_PARTITION_KEY,
            sort_key=contract.TABLE_SORT_KEY,
            ttl_attribute=contract.TABLE_TTL_ATTRIBUTE,
            point_in_time_recovery=True,
            deletion_protection=config.deletion_protection,
            removal_policy=config.removal_policy,
        ).table
        self.identity = ApiUserPool(
            self,
            "Identity",
            deletion_protection=config.deletion_protection,
            removal_policy=config.removal_policy,
            machine_client=(
                MachineClientSettings(
                    resource_server=DEPLOYMENT_CHECK_RESOURCE_SERVER,
                    scope=DEPLOYMENT_CHECK_SCOPE,
                    domain_prefix=config.cognito_domain_prefix,
                )
                if config.jwt.issuer_url is None
                else None
            ),
        )
        self.cursor_secret = secretsmanager.Secret(
            self,
            "CursorSigningSecret",
            description=f"HMAC key that signs the items service's pagination cursors ({config.name})",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=config.removal_policy,
        )
        Validations.of(self.cursor_secret).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SMG4",
                reason=(
                    "The secret is an HMAC key for opaque pagination cursors, not a credential: rotating "
                    "it only invalidates cursors in flight, so it is replaced on demand, not on a schedule"
                ),
            )
        )
        acknowledge_checkov(
            self.cursor_secret,
            "CKV_AWS_149",
            reason=(
                "Secrets Manager encrypts the secret with its AWS managed key; only this account's function "
                "reads it, so a customer managed key (needed to share it across accounts) only adds cost"
            ),
        )
