"""What the emulator serves, as read from a synthesized assembly: plain frozen data, no behaviour."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, kw_only=True)
class FunctionSpec:
    """One Lambda function as deployed: its code, layers, settings and resolved environment."""

    stack_name: str = ""
    """The stack defining it: with :attr:`logical_id`, what tells it apart from another stack's."""
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

    @property
    def key(self) -> str:
        """Unique within the stage: ``<stack name>/<logical id>``."""
        return f"{self.stack_name}/{self.logical_id}"


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
    name: str = ""
    """The API's ``Name``, else its logical id: how the banner and the options name it."""
    stack_name: str = ""
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

    stack_id: str = ""
    """The artifact id of the stack defining it."""
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

    stack_id: str = ""
    """The artifact id of the stack defining it."""
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
    apis: tuple[ApiSpec, ...]
    """Every HTTP API of the stage, each served on a port of its own."""
    tables: tuple[TableSpec, ...]
    secrets: tuple[SecretSpec, ...]

    @property
    def api(self) -> ApiSpec:
        """The first API (the only one of most stages)."""
        return self.apis[0]

    def with_api(self, api: ApiSpec) -> LocalApp:
        """This app with ``api`` in place of the API of the same logical id and stack."""
        same = (api.stack_name, api.logical_id)
        apis = tuple(api if (old.stack_name, old.logical_id) == same else old for old in self.apis)
        return dataclasses.replace(self, apis=apis)

    def functions(self) -> tuple[FunctionSpec, ...]:
        """The distinct functions the APIs' routes invoke."""
        seen: dict[str, FunctionSpec] = {}
        for api in self.apis:
            for route in api.routes:
                seen.setdefault(route.function.key, route.function)
        return tuple(seen.values())
