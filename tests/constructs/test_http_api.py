"""The HTTP API: routes and their authorization, integration, stage throttling, access logs, CORS."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from aws_cdk import App

import app as cdk_entry
from cdk_app.config import DEV, ENVIRONMENTS, JwtIssuerSettings
from cdk_app.stage import ServiceStage
from serverless_fastapi_cdk.http_api import PREFLIGHT_METHODS
from tests.support.cdk_synthesis import SynthesizedApp, cdk_json_context, logical_id, resources_of_type

DOCS_ROUTES = {"GET /docs", "GET /docs/assets/{name}", "GET /openapi.json"}
PUBLIC_ROUTES = {
    "dev": {"GET /health", *DOCS_ROUTES},
    "staging": {"GET /health", *DOCS_ROUTES},
    "prod": {"GET /health"},
}
THROTTLE = {"dev": (20, 40), "staging": (100, 200), "prod": (500, 1000)}
PROTECTED_CATCH_ALL = {
    f"{method} /{{proxy+}}" for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
}
RETENTION_DAYS = {"dev": 7, "staging": 30, "prod": 365}
CORS_ORIGINS = {
    "dev": ["http://localhost:3000"],
    "staging": ["https://staging.items.example.com"],
    "prod": ["https://items.example.com"],
}


def stateless(app: SynthesizedApp, environment: str) -> dict[str, Any]:
    return app.template_json(environment, "Stateless")


def routes(app: SynthesizedApp, environment: str) -> dict[str, dict[str, Any]]:
    return {
        route["Properties"]["RouteKey"]: route["Properties"]
        for route in resources_of_type(stateless(app, environment), "AWS::ApiGatewayV2::Route").values()
    }


def test_routes_are_health_docs_where_enabled_and_a_protected_catch_all(synthesized_app, environment):
    assert set(routes(synthesized_app, environment)) == PUBLIC_ROUTES[environment] | PROTECTED_CATCH_ALL


def test_no_authorizer_sits_on_the_path_a_preflight_takes(synthesized_app, environment):
    """API Gateway answers a CORS preflight itself only when no route matches ``OPTIONS``.

    A route matches a preflight when its method is ``ANY`` or ``OPTIONS``, or it is ``$default``; any
    such route with an authorizer would answer the browser's token-less preflight with 401.
    """
    template = stateless(synthesized_app, environment)
    (api,) = resources_of_type(template, "AWS::ApiGatewayV2::Api").values()
    preflight_routes = {
        route_key: route
        for route_key, route in routes(synthesized_app, environment).items()
        if route_key == "$default" or route_key.split(" ", 1)[0] in PREFLIGHT_METHODS
    }

    assert api["Properties"]["CorsConfiguration"]["AllowOrigins"]
    authorization = {key: route.get("AuthorizationType", "NONE") for key, route in preflight_routes.items()}
    assert authorization == dict.fromkeys(preflight_routes, "NONE")


def test_every_non_public_route_requires_the_jwt_authorizer(synthesized_app, environment):
    (authorizer_id,) = resources_of_type(
        stateless(synthesized_app, environment), "AWS::ApiGatewayV2::Authorizer"
    )
    found = routes(synthesized_app, environment)

    for route_key, route in found.items():
        if route_key in PUBLIC_ROUTES[environment]:
            assert route["AuthorizationType"] == "NONE", route_key
            assert "AuthorizerId" not in route, route_key
        else:
            assert route["AuthorizationType"] == "JWT", route_key
            assert route["AuthorizerId"] == {"Ref": authorizer_id}, route_key


def test_jwt_authorizer_trusts_the_environments_user_pool_and_client(synthesized_app, environment):
    stateful = synthesized_app.stages[environment].stateful
    template = stateless(synthesized_app, environment)
    (authorizer,) = [
        resource["Properties"]
        for resource in resources_of_type(template, "AWS::ApiGatewayV2::Authorizer").values()
    ]
    outputs = synthesized_app.template_json(environment, "Stateful")["Outputs"]

    def output_of(reference: dict[str, Any]) -> Any:
        return outputs[reference["Fn::GetStackOutput"]["OutputName"]]["Value"]

    issuer_parts = authorizer["JwtConfiguration"]["Issuer"]["Fn::Join"][1]
    audience, deployment_check = authorizer["JwtConfiguration"]["Audience"]
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    assert issuer_parts[0] == "https://cognito-idp.eu-west-1.amazonaws.com/"
    assert output_of(issuer_parts[1]) == {"Ref": logical_id(stateful.identity.user_pool)}
    assert output_of(audience) == {"Ref": logical_id(stateful.identity.client)}
    assert stateful.identity.machine is not None
    assert output_of(deployment_check) == {"Ref": logical_id(stateful.identity.machine.client)}


def test_every_route_invokes_the_live_alias_with_payload_format_2(synthesized_app, environment):
    stack = synthesized_app.stages[environment].stateless.service
    template = stateless(synthesized_app, environment)
    (integration_id, integration), *others = resources_of_type(
        template, "AWS::ApiGatewayV2::Integration"
    ).items()

    assert others == []
    assert integration["Properties"]["IntegrationType"] == "AWS_PROXY"
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"
    assert integration["Properties"]["IntegrationUri"] == {"Ref": logical_id(stack.alias)}
    for route_key, route in routes(synthesized_app, environment).items():
        assert route["Target"] == {"Fn::Join": ["", ["integrations/", {"Ref": integration_id}]]}, route_key


def test_default_stage_is_throttled_and_auto_deployed(template, environment):
    rate, burst = THROTTLE[environment]
    template(environment, "Stateless").has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "AutoDeploy": True,
            "DefaultRouteSettings": {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst},
        },
    )


def test_public_routes_have_their_own_throttling_in_place_of_the_stages(synthesized_app, environment):
    config = next(config for config in ENVIRONMENTS if config.name == environment)
    stack = synthesized_app.stages[environment].stateless.service
    template = stateless(synthesized_app, environment)
    ((stage_id, stage),) = resources_of_type(template, "AWS::ApiGatewayV2::Stage").items()
    limits = {
        "ThrottlingRateLimit": config.public_route_throttle.rate_limit,
        "ThrottlingBurstLimit": config.public_route_throttle.burst_limit,
    }

    assert stage["Properties"]["RouteSettings"] == dict.fromkeys(PUBLIC_ROUTES[environment], limits)
    assert limits["ThrottlingRateLimit"] < THROTTLE[environment][0]
    route_ids = {logical_id(stack.api.routes[key]) for key in PUBLIC_ROUTES[environment]}
    assert route_ids <= set(template["Resources"][stage_id]["DependsOn"]), "routes must exist first"


def test_access_logs_are_json_with_the_request_id_in_a_retained_log_group(synthesized_app, environment):
    stack = synthesized_app.stages[environment].stateless.service
    template = stateless(synthesized_app, environment)
    (stage,) = resources_of_type(template, "AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["AccessLogSettings"]
    log_group_id = logical_id(stack.api.access_log_group)

    access_log = json.loads(settings["Format"])
    assert access_log["requestId"] == "$context.requestId"
    assert {"status", "routeKey", "integrationError", "authorizerError"} <= set(access_log)
    assert settings["DestinationArn"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
    log_group = template["Resources"][log_group_id]["Properties"]
    assert log_group["RetentionInDays"] == RETENTION_DAYS[environment]


def test_cors_allows_only_the_configured_origins(template, environment):
    template(environment, "Stateless").has_resource_properties(
        "AWS::ApiGatewayV2::Api",
        {
            "ProtocolType": "HTTP",
            "CorsConfiguration": {
                "AllowOrigins": CORS_ORIGINS[environment],
                "AllowHeaders": ["authorization", "content-type", "idempotency-key", "if-match"],
                "ExposeHeaders": ["etag", "location", "idempotent-replayed"],
                "AllowMethods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
                "MaxAge": 600,
            },
        },
    )


def test_an_oidc_issuer_from_config_replaces_the_user_pool(tmp_path):
    config = dataclasses.replace(
        DEV, jwt=JwtIssuerSettings(issuer_url="https://login.example.com/", audience=("items-api",))
    )
    app = App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": []}, outdir=str(tmp_path))
    stage = ServiceStage(app, config=config, sources=cdk_entry.sources_for(app))
    app.synth()
    template = json.loads((tmp_path / "assembly-dev" / stage.stateless.template_file).read_text())

    (authorizer,) = resources_of_type(template, "AWS::ApiGatewayV2::Authorizer").values()
    assert authorizer["Properties"]["JwtConfiguration"] == {
        "Issuer": "https://login.example.com/",
        "Audience": ["items-api"],
    }
