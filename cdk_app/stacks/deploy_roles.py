"""The deploy-roles stack: what GitHub Actions needs in one environment's account to diff and deploy it."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from cdk_app.delivery import DeliverySettings
from serverless_fastapi_cdk.github_deploy_roles import GitHubDeployRoles

REPOSITORY_METADATA_KEY = "GitHubRepository"
"""Template metadata naming the trusted repository; the deploy pre-flight refuses the unset placeholder."""


class DeployRolesStack(Stack):
    """GitHub OIDC provider (or the imported one), diff role and deploy role for one environment.

    Outputs ``DiffRoleArn`` and ``DeployRoleArn``: the values of the repository variables the workflows
    read. Public attribute: :attr:`roles` (``GitHubDeployRoles``).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, environment: str, settings: DeliverySettings
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"GitHub Actions OIDC roles that diff and deploy the items service ({environment})",
            termination_protection=True,
            analytics_reporting=False,
        )
        self.template_options.metadata = {REPOSITORY_METADATA_KEY: settings.repository}
        self.roles = GitHubDeployRoles(
            self,
            "GitHub",
            repository=settings.repository,
            environment=environment,
            role_name_prefix=settings.role_name_prefix,
            existing_provider_arn=settings.provider_arns.get(environment),
            bootstrap_qualifier=settings.bootstrap_qualifier,
        )
        CfnOutput(self, "DiffRoleArn", value=self.roles.diff_role.role_arn)
        CfnOutput(self, "DeployRoleArn", value=self.roles.deploy_role.role_arn)
