"""The post-traffic hook and its Cognito client as each environment of the real app deploys them.

Every environment's user pool issues the tokens (no external issuer is configured), so every environment
has the ``AfterAllowTraffic`` hook, its client-credentials client with one scope, and that client in the
JWT authorizer's audience. No route requires a scope: the client's token opens only what any token does,
in the client's own partition (its ``sub`` is its client id).
"""

from __future__ import annotations

from typing import Any

from cdk_app.config import ENVIRONMENTS
from cdk_app.stacks.stateful import DEPLOYMENT_CHECK_RESOURCE_SERVER, DEPLOYMENT_CHECK_SCOPE
from serverless_fastapi_cdk.hooks import hook_common, post_traffic
from tests.app.test_canary_environments import of_type, stateless
from tests.support.cdk_synthesis import SynthesizedApp, logical_id

CONFIGS = {config.name: config for config in ENVIRONMENTS}
SCOPE = f"{DEPLOYMENT_CHECK_RESOURCE_SERVER}/{DEPLOYMENT_CHECK_SCOPE}"


def stateful_resources(app: SynthesizedApp, environment: str) -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = app.template_json(environment, "Stateful")["Resources"]
    return resources


def exported(app: SynthesizedApp, environment: str, reference: dict[str, Any]) -> Any:
    """What a cross-stack reference of the stateless stack resolves to in the stateful stack."""
    outputs = app.template_json(environment, "Stateful")["Outputs"]
    return outputs[reference["Fn::GetStackOutput"]["OutputName"]]["Value"]


def test_every_environment_runs_the_post_traffic_hook_after_the_shift(synthesized_app, environment):
    stack, resources = stateless(synthesized_app, environment)
    identity = synthesized_app.stages[environment].stateful.identity
    assert stack.canary.post_traffic_hook is not None
    assert identity.machine is not None
    alias = resources[logical_id(stack.alias)]
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["AfterAllowTrafficHook"] == {"Ref": logical_id(stack.canary.post_traffic_hook)}

    hook = resources[logical_id(stack.canary.post_traffic_hook)]["Properties"]
    variables = hook["Environment"]["Variables"]
    version = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
    assert hook["Handler"] == "post_traffic.handler"
    assert variables[post_traffic.ENV_EXPECTED_VERSION] == {"Fn::GetAtt": [version, "Version"]}
    assert variables[post_traffic.ENV_SCOPE] == SCOPE
    assert variables[post_traffic.ENV_ALLOWED_ORIGIN] == CONFIGS[environment].cors.allow_origins[0]
    assert variables[hook_common.ENV_TARGET_TIMEOUT_SECONDS] == str(
        synthesized_app.stages[environment].config.timeout_seconds
    )
    assert exported(synthesized_app, environment, variables[post_traffic.ENV_CLIENT_ID]) == {
        "Ref": logical_id(identity.machine.client)
    }
    assert exported(synthesized_app, environment, variables[post_traffic.ENV_USER_POOL_ID]) == {
        "Ref": logical_id(identity.user_pool)
    }
    stage_url = variables[post_traffic.ENV_STAGE_URL]["Fn::Join"][1]
    assert stage_url[0] == "https://"
    assert stage_url[1] == {"Ref": logical_id(stack.api.http_api)}
    scheme, domain, host = variables[post_traffic.ENV_TOKEN_URL]["Fn::Join"][1]
    assert scheme == "https://"
    (domain_id,) = of_type(stateful_resources(synthesized_app, environment), "AWS::Cognito::UserPoolDomain")
    assert exported(synthesized_app, environment, domain) == {"Ref": domain_id}
    assert host == f".auth.{CONFIGS[environment].region}.amazoncognito.com/oauth2/token"


def test_the_hook_role_may_only_log_describe_its_pool_clients_and_report(synthesized_app, environment):
    stack, resources = stateless(synthesized_app, environment)
    identity = synthesized_app.stages[environment].stateful.identity
    hook = resources[logical_id(stack.canary.post_traffic_hook)]["Properties"]
    role_id = hook["Role"]["Fn::GetAtt"][0]
    assert "ManagedPolicyArns" not in resources[role_id]["Properties"]
    (policy,) = [
        p["Properties"]
        for p in of_type(resources, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    statements = policy["PolicyDocument"]["Statement"]
    assert [s["Action"] for s in statements] == [
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        "cognito-idp:DescribeUserPoolClient",
        "codedeploy:PutLifecycleEventHookExecutionStatus",
    ]
    assert all(s["Effect"] == "Allow" for s in statements)
    assert statements[0]["Resource"] == {"Fn::GetAtt": [hook["LoggingConfig"]["LogGroup"]["Ref"], "Arn"]}
    assert exported(synthesized_app, environment, statements[1]["Resource"]) == {
        "Fn::GetAtt": [logical_id(identity.user_pool), "Arn"]
    }
    group_id = logical_id(stack.canary.deployment_group)
    assert {"Ref": group_id} in statements[2]["Resource"]["Fn::Join"][1]


def test_the_deployment_check_client_has_only_client_credentials_and_one_scope(synthesized_app, environment):
    resources = stateful_resources(synthesized_app, environment)
    identity = synthesized_app.stages[environment].stateful.identity
    assert identity.machine is not None
    (server,) = of_type(resources, "AWS::Cognito::UserPoolResourceServer").values()
    assert server["Properties"]["Identifier"] == DEPLOYMENT_CHECK_RESOURCE_SERVER
    assert [s["ScopeName"] for s in server["Properties"]["Scopes"]] == [DEPLOYMENT_CHECK_SCOPE]
    (domain,) = of_type(resources, "AWS::Cognito::UserPoolDomain").values()
    assert domain["Properties"]["Domain"] == CONFIGS[environment].cognito_domain_prefix

    client = resources[logical_id(identity.machine.client)]["Properties"]
    assert client["GenerateSecret"] is True
    assert client["AllowedOAuthFlows"] == ["client_credentials"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    (scope,) = client["AllowedOAuthScopes"]
    assert scope["Fn::Join"][1][1] == f"/{DEPLOYMENT_CHECK_SCOPE}"
    assert resources[scope["Fn::Join"][1][0]["Ref"]] is server
    assert "CallbackURLs" not in client

    user_client = resources[logical_id(identity.client)]["Properties"]
    assert "GenerateSecret" not in user_client or user_client["GenerateSecret"] is False
    assert SCOPE not in user_client.get("AllowedOAuthScopes", [])


def test_no_route_asks_for_a_scope(synthesized_app, environment):
    _, resources = stateless(synthesized_app, environment)
    routes = of_type(resources, "AWS::ApiGatewayV2::Route").values()
    assert routes
    assert all("AuthorizationScopes" not in route["Properties"] for route in routes)
