"""A Cognito user pool and app client that issue the JWTs an HTTP API accepts."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cognito as cognito
from constructs import Construct

DEFAULT_ACCESS_TOKEN_VALIDITY = Duration.hours(1)
DEFAULT_REFRESH_TOKEN_VALIDITY = Duration.days(30)


@dataclass(frozen=True, kw_only=True)
class MachineClientSettings:
    """A confidential client for a machine caller, limited to the client-credentials grant and one scope."""

    resource_server: str
    """Identifier of the resource server (the scope's prefix, ``<resource_server>/<scope>``). Required."""
    scope: str
    """The one scope the client may ask for. Required."""
    domain_prefix: str
    """Prefix of the pool's Cognito domain (``<prefix>.auth.<region>.amazoncognito.com``), whose
    ``/oauth2/token`` endpoint issues the client's tokens; unique per region. Required."""


@dataclass(frozen=True, kw_only=True)
class MachineClient:
    """What a machine caller needs: its client, the scope to ask for, the token endpoint."""

    client: cognito.UserPoolClient
    scope: str
    """``<resource server>/<scope>``."""
    token_url: str
    """The pool domain's ``/oauth2/token`` endpoint."""


class ApiUserPool(Construct):
    """Invitation-only user pool with MFA required, and a public (secret-less) app client.

    Public attributes: :attr:`user_pool`, :attr:`client`, :attr:`issuer_url` (the OIDC issuer of the
    pool's tokens) and :attr:`audience` (the client id, which access tokens carry as ``client_id``);
    and :attr:`machine` (:class:`MachineClient`, or ``None`` without ``machine_client``).

    A client-credentials token's ``sub`` is its client id: a machine caller acts in a partition of its
    own, which no user (whose ``sub`` is a UUID) shares.

    ID tokens carry the same client id as ``aud``, so an HTTP API JWT authorizer with this audience
    accepts them too: the service behind it must check ``token_use`` (docs/aws-fidelity.md).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        self_sign_up: bool = False,
        feature_plan: cognito.FeaturePlan = cognito.FeaturePlan.ESSENTIALS,
        deletion_protection: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        access_token_validity: Duration = DEFAULT_ACCESS_TOKEN_VALIDITY,
        refresh_token_validity: Duration = DEFAULT_REFRESH_TOKEN_VALIDITY,
        oauth: cognito.OAuthSettings | None = None,
        machine_client: MachineClientSettings | None = None,
    ) -> None:
        """Create the pool and its client.

        :param self_sign_up: let anyone create an account. Default: false (administrators invite users).
        :param feature_plan: Cognito feature plan; ``PLUS`` adds threat protection, billed per active
            user. Default: ``ESSENTIALS``.
        :param deletion_protection: refuse to delete the pool through the API. Default: true.
        :param removal_policy: what happens to the pool when it leaves the stack. Default: ``RETAIN``.
        :param access_token_validity: lifetime of access and ID tokens. Default: 1 hour.
        :param refresh_token_validity: Default: 30 days.
        :param oauth: the client's OAuth flows, scopes and callback URLs (the hosted sign-in pages), when
            an application signs users in through them. Default: ``None``, OAuth off: the client signs in
            only through SRP, with no flow, scope or callback URL (CDK would otherwise enable the code
            and implicit grants, every scope and an ``https://example.com`` callback).
        :param machine_client: add a resource server with one scope, a Cognito domain and a confidential
            client that may only use the client-credentials grant for that scope (a machine caller such
            as a deployment check). Default: ``None``, none of them.
        """
        super().__init__(scope, construct_id)
        self.user_pool: cognito.UserPool = self._build_pool(
            self_sign_up=self_sign_up,
            feature_plan=feature_plan,
            deletion_protection=deletion_protection,
            removal_policy=removal_policy,
        )
        self.client: cognito.UserPoolClient = self.user_pool.add_client(
            "ApiClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            prevent_user_existence_errors=True,
            access_token_validity=access_token_validity,
            id_token_validity=access_token_validity,
            refresh_token_validity=refresh_token_validity,
            o_auth=oauth,
            disable_o_auth=oauth is None,
        )
        self.machine: MachineClient | None = (
            None
            if machine_client is None
            else self._add_machine_client(machine_client, access_token_validity)
        )
        region = Stack.of(self).region
        self.issuer_url: str = f"https://cognito-idp.{region}.amazonaws.com/{self.user_pool.user_pool_id}"
        self.audience: str = self.client.user_pool_client_id

    def _build_pool(
        self,
        *,
        self_sign_up: bool,
        feature_plan: cognito.FeaturePlan,
        deletion_protection: bool,
        removal_policy: RemovalPolicy,
    ) -> cognito.UserPool:
        """The pool: e-mail sign-in, strong passwords, TOTP MFA required, e-mail-only recovery."""
        pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=self_sign_up,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=feature_plan,
            deletion_protection=deletion_protection,
            removal_policy=removal_policy,
        )
        if feature_plan is not cognito.FeaturePlan.PLUS:
            Validations.of(pool).acknowledge(
                Acknowledgment(
                    id="AwsSolutions-COG8",
                    reason=(
                        "Threat protection needs the PLUS feature plan, billed per monthly active user; "
                        "the pool is invitation-only with MFA required. Pass feature_plan=PLUS to enable it"
                    ),
                )
            )
        return pool

    def _add_machine_client(self, settings: MachineClientSettings, token_validity: Duration) -> MachineClient:
        scope = cognito.ResourceServerScope(
            scope_name=settings.scope, scope_description=f"Machine access: {settings.scope}"
        )
        server = self.user_pool.add_resource_server(
            "MachineResourceServer", identifier=settings.resource_server, scopes=[scope]
        )
        domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=settings.domain_prefix)
        )
        client = self.user_pool.add_client(
            "MachineClient",
            generate_secret=True,
            auth_flows=cognito.AuthFlow(),
            prevent_user_existence_errors=True,
            access_token_validity=token_validity,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(client_credentials=True),
                scopes=[cognito.OAuthScope.resource_server(server, scope)],
            ),
        )
        return MachineClient(
            client=client,
            scope=f"{settings.resource_server}/{settings.scope}",
            token_url=f"{domain.base_url()}/oauth2/token",
        )
