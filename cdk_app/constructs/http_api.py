"""An API Gateway HTTP API in front of one Lambda alias, with JWT auth on every route but the public ones.

Routes are API Gateway route keys (``"GET /health"``, ``"GET /{proxy+}"``). The JWT authorizer is the
API's default, so every route requires a token unless it is listed in ``public_routes``; with the
default catch-all protected routes (one ``<METHOD> /{proxy+}`` per method but ``OPTIONS``), unknown
paths are authorized before the function sees them (answering 401 rather than revealing which paths
exist).

No protected route may match ``OPTIONS`` when CORS is on: API Gateway answers a browser's preflight
itself only when no route matches it, and an ``ANY`` (or ``OPTIONS``) route with an authorizer would
take the preflight, which never carries a token, and answer 401.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import jsii
from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_apigateway as apigw_v1
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_app.scanner_acknowledgements import acknowledge_log_group_encryption

ACCESS_LOG_FIELDS: dict[str, str] = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTimeEpoch",
    "sourceIp": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "httpMethod": "$context.httpMethod",
    "path": "$context.path",
    "routeKey": "$context.routeKey",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "principal": "$context.authorizer.claims.sub",
}
"""One JSON object per request in the access log; ``requestId`` matches the function's logs and traces."""

DEFAULT_CORS_MAX_AGE = Duration.minutes(10)
DEFAULT_PUBLIC_ROUTES: Mapping[str, str] = MappingProxyType(
    {"GET /health": "liveness probe for load balancers and uptime checks, which hold no token"}
)

PROTECTED_CATCH_ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
DEFAULT_PROTECTED_ROUTES = tuple(f"{method} /{{proxy+}}" for method in PROTECTED_CATCH_ALL_METHODS)
"""Every path, every method but ``OPTIONS``: preflights match no route and API Gateway answers them."""
PREFLIGHT_METHODS = ("ANY", "OPTIONS")
"""Route methods that match a preflight request."""

CORS_METHODS = (
    apigw.CorsHttpMethod.GET,
    apigw.CorsHttpMethod.POST,
    apigw.CorsHttpMethod.PUT,
    apigw.CorsHttpMethod.PATCH,
    apigw.CorsHttpMethod.DELETE,
)


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigw.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw_v1.AccessLogFormat:
        return apigw_v1.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":")))


def _split_route_key(route_key: str) -> tuple[apigw.HttpMethod, str]:
    method, _, path = route_key.partition(" ")
    if not path.startswith("/") or method not in apigw.HttpMethod.__members__:
        raise ValueError(f"ServiceHttpApi: {route_key!r} is not a route key like 'GET /health'")
    return apigw.HttpMethod[method], path


class ServiceHttpApi(Construct):
    """HTTP API, ``$default`` stage, JWT authorizer, payload 2.0 Lambda integration, access logs.

    Public attributes: :attr:`http_api`, :attr:`stage`, :attr:`authorizer`, :attr:`integration`,
    :attr:`access_log_group`, :attr:`routes` (route key -> ``HttpRoute``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction,
        jwt_issuer: str,
        jwt_audience: Sequence[str],
        public_routes: Mapping[str, str] = DEFAULT_PUBLIC_ROUTES,
        protected_routes: Sequence[str] = DEFAULT_PROTECTED_ROUTES,
        throttle_rate_limit: float = 50,
        throttle_burst_limit: int = 100,
        route_throttles: Mapping[str, apigw.ThrottleSettings] = MappingProxyType({}),
        access_log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
        access_log_removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        cors_allow_origins: Sequence[str] = (),
        cors_allow_headers: Sequence[str] = ("authorization", "content-type"),
        cors_expose_headers: Sequence[str] = (),
        cors_max_age: Duration = DEFAULT_CORS_MAX_AGE,
        api_name: str | None = None,
    ) -> None:
        """Create the API.

        :param handler: what every route invokes; pass a Lambda alias so traffic follows deployments
            (never ``$LATEST``). Required.
        :param jwt_issuer: OIDC issuer URL of the accepted tokens. Required.
        :param jwt_audience: accepted ``aud``/``client_id`` values. Required, non-empty.
        :param public_routes: route keys served without a token, each with the reason it is public (recorded
            as the acknowledgement of cdk-nag's AwsSolutions-APIG4 on that route). Default: ``GET /health``.
        :param protected_routes: route keys that need a valid JWT; with CORS on, none may be an ``ANY`` or
            ``OPTIONS`` route. Default: ``<METHOD> /{proxy+}`` for every method but ``OPTIONS``.
        :param throttle_rate_limit: steady-state requests per second of the stage. Default: 50.
        :param throttle_burst_limit: burst of the stage. Default: 100.
        :param route_throttles: route key -> its own rate and burst (the stage's ``RouteSettings``), which
            replace the stage's limits for that route; every key must be one of the API's routes.
            Default: none (every route has the stage's limits).
        :param access_log_retention: Default: three months.
        :param access_log_removal_policy: Default: ``RETAIN``.
        :param cors_allow_origins: browser origins allowed to call the API. Default: none (CORS off).
        :param cors_allow_headers: request headers allowed from those origins.
            Default: ``authorization``, ``content-type``.
        :param cors_expose_headers: response headers browser code may read. Default: none beyond the
            CORS-safelisted ones.
        :param cors_max_age: how long browsers cache a preflight answer. Default: 10 minutes.
        :param api_name: Default: generated from the construct path.
        """
        super().__init__(scope, construct_id)
        if not jwt_audience:
            raise ValueError("ServiceHttpApi.jwt_audience: at least one audience is required")
        overlap = set(public_routes) & set(protected_routes)
        if overlap:
            raise ValueError(f"ServiceHttpApi: routes both public and protected: {sorted(overlap)}")
        preflight_routes = [key for key in protected_routes if key.split(" ", 1)[0] in PREFLIGHT_METHODS]
        if cors_allow_origins and preflight_routes:
            raise ValueError(
                f"ServiceHttpApi: protected routes {preflight_routes} match OPTIONS, so browsers' CORS "
                "preflights (which carry no token) would get 401; name the methods instead"
            )
        unknown = sorted(set(route_throttles) - set(public_routes) - set(protected_routes))
        if unknown:
            raise ValueError(f"ServiceHttpApi.route_throttles: {unknown} are not routes of this API")

        self.authorizer: authorizers.HttpJwtAuthorizer = authorizers.HttpJwtAuthorizer(
            "JwtAuthorizer", jwt_issuer, jwt_audience=list(jwt_audience)
        )
        cors = (
            apigw.CorsPreflightOptions(
                allow_origins=list(cors_allow_origins),
                allow_methods=list(CORS_METHODS),
                allow_headers=list(cors_allow_headers),
                expose_headers=list(cors_expose_headers) or None,
                max_age=cors_max_age,
            )
            if cors_allow_origins
            else None
        )
        self.http_api: apigw.HttpApi = apigw.HttpApi(
            self,
            "HttpApi",
            api_name=api_name,
            create_default_stage=False,
            default_authorizer=self.authorizer,
            cors_preflight=cors,
        )
        self.access_log_group: logs.LogGroup = logs.LogGroup(
            self, "AccessLogs", retention=access_log_retention, removal_policy=access_log_removal_policy
        )
        acknowledge_log_group_encryption(self.access_log_group)
        self.stage: apigw.HttpStage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=throttle_rate_limit, burst_limit=throttle_burst_limit),
            access_log_settings=_AccessLogSettings(self.access_log_group),
        )
        self.integration: integrations.HttpLambdaIntegration = integrations.HttpLambdaIntegration(
            "LambdaIntegration", handler, payload_format_version=apigw.PayloadFormatVersion.VERSION_2_0
        )

        self.routes: dict[str, apigw.HttpRoute] = {}
        for route_key, reason in public_routes.items():
            self._add_route(route_key, apigw.HttpNoneAuthorizer())
            Validations.of(self.routes[route_key]).acknowledge(
                Acknowledgment(id="AwsSolutions-APIG4", reason=f"{route_key} is public: {reason}")
            )
        for route_key in protected_routes:
            self._add_route(route_key, self.authorizer)
        self._throttle_routes(route_throttles)

    def _throttle_routes(self, route_throttles: Mapping[str, apigw.ThrottleSettings]) -> None:
        if not route_throttles:
            return
        stage = self.stage.node.default_child
        if not isinstance(stage, apigw.CfnStage):
            raise TypeError(f"{self.stage.node.path} has no AWS::ApiGatewayV2::Stage resource")
        stage.route_settings = {
            route_key: {"ThrottlingRateLimit": limits.rate_limit, "ThrottlingBurstLimit": limits.burst_limit}
            for route_key, limits in route_throttles.items()
        }
        for route_key in route_throttles:
            self.stage.node.add_dependency(self.routes[route_key])

    def _add_route(self, route_key: str, authorizer: apigw.IHttpRouteAuthorizer) -> None:
        method, path = _split_route_key(route_key)
        (route,) = self.http_api.add_routes(
            path=path, methods=[method], integration=self.integration, authorizer=authorizer
        )
        self.routes[route_key] = route
