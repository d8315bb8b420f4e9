"""Read one stage of a synthesized cloud assembly into the emulator's model.

Reading happens in two steps because some physical ids exist only once the local resource does
(a secret's ARN ends in a random suffix chosen when it is created):

1. :meth:`StageAssembly.backing_resources` lists the tables and secrets to create in moto;
2. :meth:`StageAssembly.local_app` reads the HTTP APIs, their routes, authorizers and functions, with
   every reference resolved against the resources created in step 1.

A stage is a CDK ``Stage`` of the app, or, with the stage name ``""``, the stacks at the top of the app.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serverless_fastapi_cdk.toolkit.cloud_assembly import CloudAssembly, StackTemplate
from serverless_fastapi_cdk.toolkit.local_api.intrinsics import (
    Physical,
    Resolver,
    TemplateError,
    default_physical,
)
from serverless_fastapi_cdk.toolkit.local_api.model import (
    ApiSpec,
    CorsSpec,
    FunctionSpec,
    JwtAuthorizerSpec,
    LocalApp,
    RouteSpec,
    SecretSpec,
    TableSpec,
    ThrottleSpec,
)

LOCAL_ACCOUNT = "123456789012"
"""moto's default account: every local ARN names it."""
DEFAULT_REGION = "us-east-1"
"""Used when the stage is environment-agnostic (``unknown-region``)."""
DEFAULT_INTEGRATION_TIMEOUT_MS = 30_000
"""An HTTP API integration's timeout when the template sets none."""
_LAMBDA_ARN = re.compile(r"arn:aws:lambda:[^:]+:\d+:function:([^:/]+)(?::([^:/]+))?")
_TABLE_TYPES = ("AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table")


@dataclass(frozen=True, kw_only=True)
class _Located:
    stack: StackTemplate
    logical_id: str

    @property
    def resource(self) -> Mapping[str, Any]:
        resource: Mapping[str, Any] = self.stack.resources[self.logical_id]
        return resource

    @property
    def properties(self) -> Mapping[str, Any]:
        properties: Mapping[str, Any] = self.resource.get("Properties", {})
        return properties

    @property
    def where(self) -> str:
        return f"{self.stack.stack_name}/{self.logical_id}"


class StageAssembly:
    """The stacks, templates and file assets of one stage of a cloud assembly."""

    def __init__(self, outdir: Path, stage: str) -> None:
        """``stage`` is a stage's display name, or ``""`` for the stacks at the top of the app."""
        self.outdir = outdir
        self.stage = stage
        assembly = CloudAssembly(outdir)
        self.stacks: list[StackTemplate] = assembly.stage_stacks(stage)
        self.directory = assembly.stage_directory(stage)
        self._assets = assembly.file_assets(stage)
        self.region = next((stack.region for stack in self.stacks if stack.region), DEFAULT_REGION)
        self.account = LOCAL_ACCOUNT
        self._created: dict[tuple[str, str], Physical] = {}

    @property
    def label(self) -> str:
        """How messages name the stage."""
        return f"stage {self.stage!r}" if self.stage else "the app's stacks"

    def _asset_directory(self, location: Mapping[str, Any], where: str, resolver: Resolver) -> Path:
        key = resolver.resolve_str(location.get("S3Key"), where=f"{where}.S3Key")
        path = self._assets.get(key)
        if path is None:
            raise TemplateError(f"{where}: {key} is not a file asset of this assembly")
        if not path.is_dir():
            raise TemplateError(
                f"{where}: asset {path} is not a directory; the emulator serves directory assets"
            )
        return path

    def _find(self, *types: str) -> list[_Located]:
        return [
            _Located(stack=stack, logical_id=logical_id)
            for stack in self.stacks
            for logical_id, resource in sorted(stack.resources.items())
            if resource.get("Type") in types
        ]

    def resolver(self, stack: StackTemplate) -> Resolver:
        return Resolver(
            stack, region=self.region, account=self.account, physical=self._physical, cross_stack=self
        )

    def export(self, name: str) -> Any:
        for stack in self.stacks:
            resolver = self.resolver(stack)
            for output_id, output in stack.template.get("Outputs", {}).items():
                export = output.get("Export", {}).get("Name")
                if export is not None and resolver.resolve(export, where=output_id) == name:
                    return resolver.resolve(output["Value"], where=f"{stack.stack_name}/{output_id}")
        raise TemplateError(f"no stack of {self.label} exports {name!r}")

    def output(self, stack_name: str, output_name: str) -> Any:
        for stack in self.stacks:
            output = stack.template.get("Outputs", {}).get(output_name)
            if stack.stack_name == stack_name and output is not None:
                return self.resolver(stack).resolve(output["Value"], where=f"{stack_name}/{output_name}")
        raise TemplateError(f"stack {stack_name!r} of {self.label} has no output {output_name!r}")

    def _physical(self, stack: StackTemplate, logical_id: str) -> Physical:
        created = self._created.get((stack.artifact_id, logical_id))
        if created is not None:
            return created
        located = _Located(stack=stack, logical_id=logical_id)
        properties = located.properties
        resolver = self.resolver(stack)
        lambda_arn = f"arn:aws:lambda:{self.region}:{self.account}"
        match located.resource.get("Type"):
            case "AWS::Lambda::Alias":
                function = resolver.resolve_str(properties["FunctionName"], where=located.where)
                arn = f"{lambda_arn}:function:{function}:{properties['Name']}"
                return Physical(arn, {"AliasArn": arn})
            case "AWS::Lambda::Version":
                function = resolver.resolve_str(properties["FunctionName"], where=located.where)
                return Physical(f"{lambda_arn}:function:{function}:1", {"Version": "1"})
            case "AWS::Lambda::LayerVersion":
                name = properties.get("LayerName", f"{stack.stack_name}-{logical_id}")
                return Physical(f"{lambda_arn}:layer:{name}:1", {})
            case kind if kind in _TABLE_TYPES:
                name = self._table_name(located, resolver)
                arn = f"arn:aws:dynamodb:{self.region}:{self.account}:table/{name}"
                return Physical(name, {"Arn": arn})
            case _:
                return default_physical(
                    stack, logical_id, located.resource, region=self.region, account=self.account
                )

    def record_created(self, stack_id: str, logical_id: str, physical: Physical) -> None:
        """Use the values of a resource the emulator really created (stack artifact id, logical id)."""
        self._created[(stack_id, logical_id)] = physical

    @staticmethod
    def _table_name(located: _Located, resolver: Resolver) -> str:
        name = located.properties.get("TableName")
        if name is None:
            return f"{located.stack.stack_name}-{located.logical_id}"
        return resolver.resolve_str(name, where=f"{located.where}.TableName")

    def backing_resources(self) -> tuple[tuple[TableSpec, ...], tuple[SecretSpec, ...]]:
        """The tables and secrets of every stack of the stage, as the templates define them."""
        tables = []
        for located in self._find(*_TABLE_TYPES):
            resolver = self.resolver(located.stack)
            properties = resolver.resolve(dict(located.properties), where=located.where)
            ttl = properties.get("TimeToLiveSpecification", {})
            tables.append(
                TableSpec(
                    stack_id=located.stack.artifact_id,
                    logical_id=located.logical_id,
                    name=self._table_name(located, resolver),
                    key_schema=properties["KeySchema"],
                    attribute_definitions=properties["AttributeDefinitions"],
                    global_secondary_indexes=properties.get("GlobalSecondaryIndexes", []),
                    local_secondary_indexes=properties.get("LocalSecondaryIndexes", []),
                    ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
                )
            )
        secrets = []
        for located in self._find("AWS::SecretsManager::Secret"):
            resolver = self.resolver(located.stack)
            properties = resolver.resolve(dict(located.properties), where=located.where)
            secrets.append(
                SecretSpec(
                    stack_id=located.stack.artifact_id,
                    logical_id=located.logical_id,
                    name=properties.get("Name", f"{located.logical_id}-local"),
                    secret_string=properties.get("SecretString"),
                    generate=properties.get("GenerateSecretString"),
                )
            )
        return tuple(tables), tuple(secrets)

    def local_app(self) -> LocalApp:
        """The HTTP APIs of the stage with their routes, authorizers and functions, references resolved."""
        tables, secrets = self.backing_resources()
        apis = self._find("AWS::ApiGatewayV2::Api")
        if not apis:
            raise TemplateError(
                f"{self.label} defines no HTTP API (AWS::ApiGatewayV2::Api): nothing to serve"
            )
        functions: dict[str, FunctionSpec] = {}
        specs = [self._api(api, functions) for api in apis]
        names = [spec.name for spec in specs]
        specs = [
            dataclasses.replace(spec, name=f"{spec.stack_name}/{spec.name}")
            if names.count(spec.name) > 1
            else spec
            for spec in specs
        ]
        return LocalApp(
            stage=self.stage,
            region=self.region,
            account=self.account,
            apis=tuple(specs),
            tables=tables,
            secrets=secrets,
        )

    def _api(self, api: _Located, functions: dict[str, FunctionSpec]) -> ApiSpec:
        resolver = self.resolver(api.stack)
        api_id = self._physical(api.stack, api.logical_id).ref
        if api.properties.get("ProtocolType") != "HTTP":
            raise TemplateError(f"{api.where}: only HTTP APIs (ProtocolType HTTP) are emulated")
        stage = self._stage_of(api_id)
        stage_properties = resolver.resolve(dict(stage.properties), where=stage.where) if stage else {}
        route_settings = stage_properties.get("RouteSettings") or {}
        route_throttles = {
            route_key: throttle
            for route_key, settings in route_settings.items()
            if (throttle := self._throttle(settings)) is not None
        }
        name = resolver.resolve(api.properties.get("Name"), where=f"{api.where}.Name")
        return ApiSpec(
            logical_id=api.logical_id,
            name=name if isinstance(name, str) and name else api.logical_id,
            stack_name=api.stack.stack_name,
            api_id=api_id,
            stage_name=stage_properties.get("StageName", "$default"),
            routes=self._routes(api_id, functions),
            cors=self._cors(resolver.resolve(api.properties.get("CorsConfiguration"), where=api.where)),
            throttle=self._throttle(stage_properties.get("DefaultRouteSettings", {})),
            route_throttles=route_throttles,
            access_log_format=stage_properties.get("AccessLogSettings", {}).get("Format"),
        )

    def _belongs_to(self, located: _Located, api_id: str) -> bool:
        resolver = self.resolver(located.stack)
        return bool(resolver.resolve(located.properties.get("ApiId"), where=located.where) == api_id)

    def _stage_of(self, api_id: str) -> _Located | None:
        stages = [
            located for located in self._find("AWS::ApiGatewayV2::Stage") if self._belongs_to(located, api_id)
        ]
        return stages[0] if stages else None

    @staticmethod
    def _throttle(settings: Mapping[str, Any]) -> ThrottleSpec | None:
        """A stage's or a route's throttling; a limit it leaves out is the account's default."""
        if "ThrottlingRateLimit" not in settings and "ThrottlingBurstLimit" not in settings:
            return None
        return ThrottleSpec(
            rate_limit=float(settings.get("ThrottlingRateLimit", 10_000)),
            burst_limit=int(settings.get("ThrottlingBurstLimit", 5_000)),
        )

    @staticmethod
    def _cors(config: Mapping[str, Any] | None) -> CorsSpec | None:
        if not config or not config.get("AllowOrigins"):
            return None
        return CorsSpec(
            allow_origins=tuple(config["AllowOrigins"]),
            allow_methods=tuple(method.upper() for method in config.get("AllowMethods", ())),
            allow_headers=tuple(header.lower() for header in config.get("AllowHeaders", ())),
            expose_headers=tuple(header.lower() for header in config.get("ExposeHeaders", ())),
            allow_credentials=bool(config.get("AllowCredentials", False)),
            max_age_seconds=config.get("MaxAge"),
        )

    def _routes(self, api_id: str, functions: dict[str, FunctionSpec]) -> tuple[RouteSpec, ...]:
        integrations = {
            self._physical(located.stack, located.logical_id).ref: located
            for located in self._find("AWS::ApiGatewayV2::Integration")
            if self._belongs_to(located, api_id)
        }
        authorizers = {
            self._physical(located.stack, located.logical_id).ref: located
            for located in self._find("AWS::ApiGatewayV2::Authorizer")
            if self._belongs_to(located, api_id)
        }
        routes = []
        for located in self._find("AWS::ApiGatewayV2::Route"):
            if not self._belongs_to(located, api_id):
                continue
            resolver = self.resolver(located.stack)
            properties = resolver.resolve(dict(located.properties), where=located.where)
            target = str(properties.get("Target", ""))
            integration = integrations.get(target.removeprefix("integrations/"))
            if integration is None:
                raise TemplateError(f"{located.where}: target {target!r} is not an integration of the API")
            authorizer = None
            if properties.get("AuthorizationType", "NONE") != "NONE":
                authorizer = self._authorizer(located, properties, authorizers)
            integration_properties = self.resolver(integration.stack).resolve(
                dict(integration.properties), where=integration.where
            )
            if integration_properties.get("PayloadFormatVersion") != "2.0":
                raise TemplateError(f"{integration.where}: only payload format version 2.0 is emulated")
            if integration_properties.get("IntegrationType") != "AWS_PROXY":
                raise TemplateError(
                    f"{integration.where}: only Lambda proxy (AWS_PROXY) integrations are emulated"
                )
            uri = str(integration_properties.get("IntegrationUri", ""))
            if uri not in functions:
                functions[uri] = self._function(uri, integration.where)
            routes.append(
                RouteSpec(
                    route_key=properties["RouteKey"],
                    authorizer=authorizer,
                    authorization_scopes=tuple(properties.get("AuthorizationScopes", ())),
                    function=functions[uri],
                    integration_timeout_seconds=int(
                        integration_properties.get("TimeoutInMillis", DEFAULT_INTEGRATION_TIMEOUT_MS)
                    )
                    / 1000,
                )
            )
        return tuple(routes)

    def _authorizer(
        self, route: _Located, properties: Mapping[str, Any], authorizers: Mapping[str, _Located]
    ) -> JwtAuthorizerSpec:
        kind = properties["AuthorizationType"]
        located = authorizers.get(str(properties.get("AuthorizerId")))
        if kind != "JWT" or located is None:
            raise TemplateError(
                f"{route.where}: authorization {kind} is not emulated (only JWT authorizers are)"
            )
        config = self.resolver(located.stack).resolve(dict(located.properties), where=located.where)
        jwt = config.get("JwtConfiguration", {})
        sources = config.get("IdentitySource", ["$request.header.Authorization"])
        return JwtAuthorizerSpec(
            logical_id=located.logical_id,
            identity_source=sources[0],
            template_issuer=str(jwt.get("Issuer", "")),
            audience=tuple(jwt.get("Audience", ())),
        )

    def _function(self, integration_uri: str, where: str) -> FunctionSpec:
        match = _LAMBDA_ARN.search(integration_uri)
        if match is None:
            raise TemplateError(
                f"{where}: integration URI {integration_uri!r} does not name a Lambda function"
            )
        name, qualifier = match.group(1), match.group(2)
        for located in self._find("AWS::Lambda::Function"):
            if self._physical(located.stack, located.logical_id).ref == name:
                return self._function_spec(located, qualifier, match.group(0))
        raise TemplateError(f"{where}: function {name!r} is not defined in {self.label}")

    def _version_of(self, stack: StackTemplate, function_name: str, qualifier: str | None) -> str:
        if qualifier is None or qualifier == "$LATEST":
            return "$LATEST"
        if qualifier.isdigit():
            return qualifier
        for located in self._find("AWS::Lambda::Alias"):
            properties = located.properties
            resolver = self.resolver(located.stack)
            if properties.get("Name") == qualifier and (
                resolver.resolve(properties.get("FunctionName"), where=located.where) == function_name
            ):
                return str(
                    self.resolver(located.stack).resolve(properties["FunctionVersion"], where=located.where)
                )
        raise TemplateError(f"alias {qualifier!r} of function {function_name!r} is not defined")

    def _function_spec(self, located: _Located, qualifier: str | None, invoked_arn: str) -> FunctionSpec:
        resolver = self.resolver(located.stack)
        where = located.where
        properties = located.properties
        name = self._physical(located.stack, located.logical_id).ref
        runtime = str(properties.get("Runtime", ""))
        code = properties.get("Code", {})
        if "S3Key" not in code:
            raise TemplateError(
                f"{where}: only asset code (Code.S3Key) is emulated, not inline or image code"
            )
        layers = []
        for index, layer in enumerate(properties.get("Layers", [])):
            if not (isinstance(layer, dict) and set(layer) == {"Ref"}):
                raise TemplateError(
                    f"{where}.Layers[{index}]: {layer!r} is not a layer of this app; the emulator can only "
                    "serve layers whose content is an asset of the assembly"
                )
            layer_resource = _Located(stack=located.stack, logical_id=layer["Ref"])
            layers.append(
                self._asset_directory(layer_resource.properties["Content"], layer_resource.where, resolver)
            )
        logging_config = resolver.resolve(properties.get("LoggingConfig", {}), where=f"{where}.LoggingConfig")
        variables = resolver.resolve(
            properties.get("Environment", {}).get("Variables", {}), where=f"{where}.Environment"
        )
        reserved = properties.get("ReservedConcurrentExecutions")
        return FunctionSpec(
            stack_name=located.stack.stack_name,
            logical_id=located.logical_id,
            name=name,
            version=self._version_of(located.stack, name, qualifier),
            invoked_arn=invoked_arn,
            handler=resolver.resolve_str(properties.get("Handler"), where=f"{where}.Handler"),
            runtime=runtime,
            code_dir=self._asset_directory(code, where, resolver),
            layer_dirs=tuple(layers),
            environment={key: str(value) for key, value in variables.items()},
            timeout_seconds=float(properties.get("Timeout", 3)),
            memory_mb=int(properties.get("MemorySize", 128)),
            reserved_concurrency=None if reserved is None else int(reserved),
            log_format=str(logging_config.get("LogFormat", "Text")),
            application_log_level=logging_config.get("ApplicationLogLevel"),
            tracing_active=properties.get("TracingConfig", {}).get("Mode") == "Active",
            log_group_name=str(logging_config.get("LogGroup", f"/aws/lambda/{name}")),
        )
