"""IAM roles that GitHub Actions assumes through OIDC to diff and deploy CDK stacks: no stored keys.

GitHub's OIDC token names the workflow run in its ``sub`` claim: ``repo:OWNER/REPO:environment:NAME`` for a
job that targets a GitHub environment, ``repo:OWNER/REPO:pull_request`` for a pull-request run and
``repo:OWNER/REPO:ref:refs/heads/BRANCH`` for any other run on a branch. Each role's trust policy matches
one of those exactly (no wildcard) and requires ``aud`` = ``sts.amazonaws.com``, the audience
``aws-actions/configure-aws-credentials`` asks for.

The deploy role holds no permission on the service's resources: it may only assume the roles of the CDK
bootstrap stack (deploy, file and image publishing, lookup), which do the work, and read the bootstrap
version parameter the deploy's pre-flight check reads. The diff role may only assume the bootstrap lookup
role, which is read-only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Aws, Duration
from aws_cdk import aws_iam as iam
from constructs import Construct

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_CLAIM_PREFIX = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
DEFAULT_QUALIFIER = "hnb659fds"
"""The CDK bootstrap's default qualifier (``cdk bootstrap --qualifier``)."""
_REPOSITORY = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
MAX_SESSION = Duration.hours(1)
DEPLOY_BOOTSTRAP_ROLES = ("deploy", "file-publishing", "image-publishing", "lookup")
DIFF_BOOTSTRAP_ROLES = ("lookup",)


def bootstrap_role_arn(qualifier: str, kind: str) -> str:
    """The ARN ``cdk bootstrap`` gives its ``kind`` role in the stack's own account and region."""
    return (
        f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/"
        f"cdk-{qualifier}-{kind}-role-{Aws.ACCOUNT_ID}-{Aws.REGION}"
    )


def subject(repository: str, context: str) -> str:
    """The ``sub`` claim GitHub issues for ``repository`` (``owner/name``) in ``context``."""
    return f"repo:{repository}:{context}"


class GitHubDeployRoles(Construct):
    """A GitHub OIDC provider (created or imported) and a diff role and a deploy role trusting it.

    Public attributes: :attr:`provider`, :attr:`diff_role`, :attr:`deploy_role`,
    :attr:`diff_subjects` and :attr:`deploy_subjects` (the ``sub`` values each role accepts).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repository: str,
        environment: str,
        diff_subject_contexts: Sequence[str] = ("pull_request", "ref:refs/heads/main"),
        role_name_prefix: str | None = None,
        existing_provider_arn: str | None = None,
        bootstrap_qualifier: str = DEFAULT_QUALIFIER,
        max_session_duration: Duration = MAX_SESSION,
    ) -> None:
        """Create the provider (unless imported) and both roles.

        :param repository: the GitHub repository allowed to assume the roles, ``owner/name``. Required.
        :param environment: the GitHub environment whose jobs may assume the deploy role; the
            environment's deployment-branch rule (in GitHub) restricts it to the main branch. Required.
        :param diff_subject_contexts: the ``sub`` contexts allowed to assume the diff role. Default: pull
            requests and runs on ``main`` (the scheduled drift check).
        :param role_name_prefix: roles are named ``<prefix>-<environment>-github-deploy`` and
            ``...-github-diff``, so their ARNs are known before deploying. Default: no name (CloudFormation
            generates one; read it from the stack outputs).
        :param existing_provider_arn: import this account's GitHub OIDC provider instead of creating one
            (an account holds one provider per URL). Default: create it.
        :param bootstrap_qualifier: the CDK bootstrap qualifier of the target account. Default: ``hnb659fds``.
        :param max_session_duration: longest session either role grants. Default: 1 hour.
        """
        super().__init__(scope, construct_id)
        if not _REPOSITORY.match(repository):
            raise ValueError(f"GitHubDeployRoles.repository: {repository!r} is not owner/name")
        if not environment:
            raise ValueError("GitHubDeployRoles.environment: must name a GitHub environment")
        if existing_provider_arn is None:
            self.provider: iam.IOidcProvider = iam.OidcProviderNative(
                self, "Provider", url=GITHUB_OIDC_URL, client_ids=[STS_AUDIENCE]
            )
        else:
            self.provider = iam.OidcProviderNative.from_oidc_provider_arn(
                self, "Provider", existing_provider_arn
            )
        self.diff_subjects: tuple[str, ...] = tuple(
            subject(repository, context) for context in diff_subject_contexts
        )
        self.deploy_subjects: tuple[str, ...] = (subject(repository, f"environment:{environment}"),)

        def role(role_id: str, purpose: str, subjects: Sequence[str]) -> iam.Role:
            return iam.Role(
                self,
                role_id,
                role_name=(
                    f"{role_name_prefix}-{environment}-github-{purpose}" if role_name_prefix else None
                ),
                description=f"GitHub Actions of {repository} ({purpose}, {environment})",
                assumed_by=self._principal(subjects),
                max_session_duration=max_session_duration,
            )

        self.diff_role: iam.Role = role("DiffRole", "diff", self.diff_subjects)
        self.diff_role.add_to_policy(self._assume(bootstrap_qualifier, DIFF_BOOTSTRAP_ROLES))
        self.deploy_role: iam.Role = role("DeployRole", "deploy", self.deploy_subjects)
        self.deploy_role.add_to_policy(self._assume(bootstrap_qualifier, DEPLOY_BOOTSTRAP_ROLES))
        self.deploy_role.add_to_policy(self._read_bootstrap_version(bootstrap_qualifier))

    @staticmethod
    def _read_bootstrap_version(qualifier: str) -> iam.PolicyStatement:
        """What ``cdk deploy`` reads first: the bootstrap stack's version parameter."""
        return iam.PolicyStatement(
            sid="ReadBootstrapVersion",
            actions=["ssm:GetParameter"],
            resources=[
                f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter/cdk-bootstrap/{qualifier}/version"
            ],
        )

    def _principal(self, subjects: Sequence[str]) -> iam.OpenIdConnectPrincipal:
        return iam.OpenIdConnectPrincipal(
            self.provider,
            conditions={
                "StringEquals": {
                    f"{GITHUB_OIDC_CLAIM_PREFIX}:aud": STS_AUDIENCE,
                    f"{GITHUB_OIDC_CLAIM_PREFIX}:sub": list(subjects),
                }
            },
        )

    @staticmethod
    def _assume(qualifier: str, kinds: Sequence[str]) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            sid="AssumeCdkBootstrapRoles",
            actions=["sts:AssumeRole", "sts:TagSession"],
            resources=[bootstrap_role_arn(qualifier, kind) for kind in kinds],
        )
