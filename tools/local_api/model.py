"""What the emulator serves, as read from a synthesized assembly: plain frozen data, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, kw_only=True)
class FunctionSpec:
    """One Lambda function as deployed: its code, layers, settings and resolved environment."""

    logical_id: str
    name: str
    """``AWS_LAMBDA_FUNCTION_NAME``."""
    version: str
    """The version the API invokes (``AWS_LAMBDA_FUNCTION_VERSION``)."""
    invoked_arn: str
    """The ARN the API invokes: the alias ARN when the integration targets an alias."""
    handler: str
    runtime: str
    code_dir: Path
    layer_dirs: tuple[Path, ...]
    """Each layer's extracted content, in the order Lambda applies them."""
    environment: dict[str, str]
    """The template's ``Environment.Variables`` with every reference resolved to a local value."""
    timeout_seconds: float
    memory_mb: int
    reserved_concurrency: int | None
    """None when the template reserves none (the function shares the account's pool)."""
    log_format: str = "Text"
    application_log_level: str | None = None
    tracing_active: bool = False
    log_group_name: str


@dataclass(frozen=True, kw_only=True)
class JwtAuthorizerSpec:
    """A JWT authorizer: where the token is read from, and what the template says about its issuer."""

    logical_id: str
    identity_source: str
    """``$request.header.<name>`` or ``$request.querystring.<name>``."""
    template_issuer: str
    """The issuer configured in the template (replaced by the local issuer when serving)."""
    audience: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class RouteSpec:
    """One ``AWS::ApiGatewayV2::Route`` and what it integrates with."""

    route_key: str
    """``"GET /items/{id}"``, ``"ANY /{proxy+}"`` or ``"$default"``."""
    authorizer: JwtAuthorizerSpec | None
    authorization_scopes: tuple[str, ...] = ()
    function: FunctionSpec
    integration_timeout_seconds: float


@dataclass(frozen=True, kw_only=True)
class CorsSpec:
    """The API's ``CorsConfiguration``."""

    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    allow_credentials: bool = False
    max_age_seconds: int | None = None


@dataclass(frozen=True, kw_only=True)
class ThrottleSpec:
    """Throttling of the stage or of one route: ``burst_limit`` tokens refilled at ``rate_limit``/s."""

    rate_limit: float
    burst_limit: int


@dataclass(frozen=True, kw_only=True)
class ApiSpec:
    """One HTTP API with its ``$default`` stage."""

    logical_id: str
    api_id: str
    stage_name: str
    routes: tuple[RouteSpec, ...]
    cors: CorsSpec | None = None
    throttle: ThrottleSpec | None = None
    """The stage's default route throttling."""
    route_throttles: dict[str, ThrottleSpec] = field(default_factory=dict)
    """Route key -> the route's own throttling (the stage's ``RouteSettings``), in place of the stage's."""
    access_log_format: str | None = None


@dataclass(frozen=True, kw_only=True)
class TableSpec:
    """A DynamoDB table to create locally, with the template's key schema, indexes and TTL."""

    logical_id: str
    name: str
    key_schema: list[dict[str, str]]
    attribute_definitions: list[dict[str, str]]
    global_secondary_indexes: list[dict[str, Any]] = field(default_factory=list)
    local_secondary_indexes: list[dict[str, Any]] = field(default_factory=list)
    ttl_attribute: str | None = None


@dataclass(frozen=True, kw_only=True)
class SecretSpec:
    """A Secrets Manager secret to create locally: a literal value or a generated one."""

    logical_id: str
    name: str
    secret_string: str | None = None
    generate: dict[str, Any] | None = None
    """The template's ``GenerateSecretString``, when the value is generated."""


@dataclass(frozen=True, kw_only=True)
class LocalApp:
    """Everything one environment needs locally."""

    stage: str
    region: str
    account: str
    api: ApiSpec
    tables: tuple[TableSpec, ...]
    secrets: tuple[SecretSpec, ...]

    def functions(self) -> tuple[FunctionSpec, ...]:
        """The distinct functions the API's routes invoke."""
        seen: dict[str, FunctionSpec] = {}
        for route in self.api.routes:
            seen.setdefault(route.function.logical_id, route.function)
        return tuple(seen.values())
