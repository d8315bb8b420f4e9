"""An API Gateway HTTP API in front of one Lambda alias, with JWT auth on every route but the public ones.

Routes are API Gateway route keys (``"GET /status"``, ``"GET /{proxy+}"``). The JWT authorizer is the
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
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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

from serverless_fastapi_cdk.props import Problems, PropsError, https_url_problem, require
from serverless_fastapi_cdk.scanner_acknowledgements import acknowledge_log_group_encryption

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

_ORIGIN = re.compile(r"^(\*|https://[^\s/]+|http://(localhost|127\.0\.0\.1)(:\d+)?)$")


@dataclass(frozen=True, kw_only=True)
class ThrottleSettings:
    """A rate and burst limit of the stage or of one route."""

    rate_limit: float
    """Steady-state requests per second, > 0. Required."""
    burst_limit: int
    """Maximum concurrent request burst, >= 1. Required."""

    def __post_init__(self) -> None:
        require(self.rate_limit > 0, "ThrottleSettings.rate_limit", "must be > 0")
        require(self.burst_limit >= 1, "ThrottleSettings.burst_limit", "must be >= 1")

    def within(self, other: ThrottleSettings) -> bool:
        """Neither limit exceeds ``other``'s."""
        return self.rate_limit <= other.rate_limit and self.burst_limit <= other.burst_limit


@dataclass(frozen=True, kw_only=True)
class CorsSettings:
    """Browser access to the HTTP API. No origins (the default) means CORS is off."""

    allow_origins: tuple[str, ...] = ()
    """Exact origins (``https://app.example.com``), ``http://localhost[:port]`` or ``*``. Default none."""
    allow_headers: tuple[str, ...] = ("authorization", "content-type")
    """Request headers browsers may send. Default the token and JSON bodies' ``content-type``."""
    expose_headers: tuple[str, ...] = ()
    """Response headers browser code may read beyond the CORS-safelisted ones. Default none."""
    max_age_seconds: int = 600
    """How long browsers may cache a preflight answer, 0..86400 seconds. Default 600 (10 minutes)."""

    def __post_init__(self) -> None:
        for origin in self.allow_origins:
            require(
                bool(_ORIGIN.match(origin)),
                "CorsSettings.allow_origins",
                f"{origin!r} is not '*', an https origin or an http://localhost origin",
            )
        require(
            "*" not in self.allow_origins or len(self.allow_origins) == 1,
            "CorsSettings.allow_origins",
            "'*' cannot be combined with explicit origins",
        )
        require(0 <= self.max_age_seconds <= 86400, "CorsSettings.max_age_seconds", "must be 0..86400")

    @property
    def enabled(self) -> bool:
        return bool(self.allow_origins)


DEFAULT_THROTTLE = ThrottleSettings(rate_limit=50, burst_limit=100)

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
        raise PropsError(f"ServiceHttpApi: {route_key!r} is not a route key like 'GET /status'")
    return apigw.HttpMethod[method], path


def validate_api_props(
    *,
    jwt_issuer: str,
    jwt_audience: Sequence[str],
    public_routes: Mapping[str, str],
    protected_routes: Sequence[str],
    cors: CorsSettings,
    throttle: ThrottleSettings,
    route_throttles: Mapping[str, ThrottleSettings],
    where: str,
    route_scopes: Mapping[str, Sequence[str]] = MappingProxyType({}),
) -> None:
    """Raise one :class:`PropsError` with every problem of an API's props (``where`` names the type)."""
    problems = Problems()
    problems.require(bool(jwt_audience), f"{where}.jwt_audience", "at least one audience is required")
    for field, routes in (
        ("public_routes", list(public_routes)),
        ("protected_routes", list(protected_routes)),
    ):
        for route_key in routes:
            method, _, path = route_key.partition(" ")
            problems.require(
                path.startswith("/") and method in apigw.HttpMethod.__members__,
                f"{where}.{field}",
                f"{route_key!r} is not a route key like 'GET /status'",
            )
    issuer_problem = https_url_problem(jwt_issuer, f"{where}.jwt_issuer")
    problems.extend([issuer_problem] if issuer_problem else [])
    unexplained = sorted(route for route, reason in public_routes.items() if not reason.strip())
    problems.require(not unexplained, f"{where}.public_routes", f"{unexplained} need a reason to be public")
    overlap = sorted(set(public_routes) & set(protected_routes))
    problems.require(not overlap, f"{where}.public_routes", f"routes both public and protected: {overlap}")
    preflight_routes = [key for key in protected_routes if key.split(" ", 1)[0] in PREFLIGHT_METHODS]
    problems.require(
        not (cors.enabled and preflight_routes),
        f"{where}.protected_routes",
        f"protected routes {preflight_routes} match OPTIONS, so browsers' CORS preflights (which carry no "
        "token) would get 401; name the methods instead",
    )
    unknown = sorted(set(route_throttles) - set(public_routes) - set(protected_routes))
    problems.require(not unknown, f"{where}.route_throttles", f"{unknown} are not routes of this API")
    looser = sorted(
        key for key, limits in route_throttles.items() if limits is not None and not limits.within(throttle)
    )
    problems.require(not looser, f"{where}.route_throttles", f"{looser} exceed the stage's throttle")
    unscoped = sorted(set(route_scopes) - set(protected_routes))
    problems.require(not unscoped, f"{where}.route_scopes", f"{unscoped} are not protected routes")
    empty = sorted(key for key, scopes in route_scopes.items() if not scopes or not all(scopes))
    problems.require(not empty, f"{where}.route_scopes", f"{empty} name no scope, or an empty one")
    problems.raise_any()


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
        public_routes: Mapping[str, str] = MappingProxyType({}),
        protected_routes: Sequence[str] = DEFAULT_PROTECTED_ROUTES,
        throttle: ThrottleSettings = DEFAULT_THROTTLE,
        route_throttles: Mapping[str, ThrottleSettings] = MappingProxyType({}),
        access_log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
        access_log_removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        cors: CorsSettings | None = None,
        api_name: str | None = None,
        route_scopes: Mapping[str, Sequence[str]] = MappingProxyType({}),
    ) -> None:
        """Create the API.

        :param handler: what every route invokes; pass a Lambda alias so traffic follows deployments
            (never ``$LATEST``). Required.
        :param jwt_issuer: OIDC issuer URL of the accepted tokens. Required.
        :param jwt_audience: accepted ``aud``/``client_id`` values. Required, non-empty.
        :param public_routes: route keys served without a token, each with the reason it is public (recorded
            as the acknowledgement of cdk-nag's AwsSolutions-APIG4 on that route). Default: none.
        :param protected_routes: route keys that need a valid JWT; with CORS on, none may be an ``ANY`` or
            ``OPTIONS`` route. Default: ``<METHOD> /{proxy+}`` for every method but ``OPTIONS``.
        :param throttle: rate and burst of the stage. Default: 50 requests/s, burst 100.
        :param route_throttles: route key -> its own rate and burst (the stage's ``RouteSettings``), which
            replace the stage's limits for that route; every key must be one of the API's routes, and no
            limit may exceed the stage's. Default: none (every route has the stage's limits).
        :param access_log_retention: Default: three months.
        :param access_log_removal_policy: Default: ``RETAIN``.
        :param cors: browser origins allowed to call the API, and their headers. Default ``None``: CORS off.
        :param api_name: Default: generated from the construct path.
        :param route_scopes: protected route key -> OAuth scopes a token must carry (any one of them) for
            that route, checked by the JWT authorizer. Default: none (a valid token suffices).
        """
        super().__init__(scope, construct_id)
        cors_settings = cors or CorsSettings()
        validate_api_props(
            jwt_issuer=jwt_issuer,
            jwt_audience=jwt_audience,
            public_routes=public_routes,
            protected_routes=protected_routes,
            cors=cors_settings,
            throttle=throttle,
            route_throttles=route_throttles,
            route_scopes=route_scopes,
            where="ServiceHttpApi",
        )

        self.authorizer: authorizers.HttpJwtAuthorizer = authorizers.HttpJwtAuthorizer(
            "JwtAuthorizer", jwt_issuer, jwt_audience=list(jwt_audience)
        )
        self._build_api_and_stage(
            api_name, cors_settings, throttle, access_log_retention, access_log_removal_policy
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
            self._add_route(route_key, self.authorizer, route_scopes.get(route_key, ()))
        self._throttle_routes(route_throttles)

    def _build_api_and_stage(
        self,
        api_name: str | None,
        cors: CorsSettings,
        throttle: ThrottleSettings,
        retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        """The API (JWT by default, CORS preflights answered by API Gateway) and its logged ``$default``."""
        preflight = (
            apigw.CorsPreflightOptions(
                allow_origins=list(cors.allow_origins),
                allow_methods=list(CORS_METHODS),
                allow_headers=list(cors.allow_headers),
                expose_headers=list(cors.expose_headers) or None,
                max_age=Duration.seconds(cors.max_age_seconds),
            )
            if cors.enabled
            else None
        )
        self.http_api: apigw.HttpApi = apigw.HttpApi(
            self,
            "HttpApi",
            api_name=api_name,
            create_default_stage=False,
            default_authorizer=self.authorizer,
            cors_preflight=preflight,
        )
        self.access_log_group: logs.LogGroup = logs.LogGroup(
            self, "AccessLogs", retention=retention, removal_policy=removal_policy
        )
        acknowledge_log_group_encryption(self.access_log_group)
        self.stage: apigw.HttpStage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=throttle.rate_limit, burst_limit=throttle.burst_limit),
            access_log_settings=_AccessLogSettings(self.access_log_group),
        )

    def _throttle_routes(self, route_throttles: Mapping[str, ThrottleSettings]) -> None:
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

    def _add_route(
        self, route_key: str, authorizer: apigw.IHttpRouteAuthorizer, scopes: Sequence[str] = ()
    ) -> None:
        method, path = _split_route_key(route_key)
        (route,) = self.http_api.add_routes(
            path=path,
            methods=[method],
            integration=self.integration,
            authorizer=authorizer,
            authorization_scopes=list(scopes) or None,
        )
        self.routes[route_key] = route
