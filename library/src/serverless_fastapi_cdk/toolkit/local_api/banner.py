"""What ``sfcdk local`` prints once the APIs are up: where they are, how to get a token, curl commands.

The commands come from the service's own OpenAPI document when a public route serves it (fetched
through the emulator, so one execution environment is already warm when the banner appears), and
from the template's route keys otherwise; operations with path parameters are left to the docs page.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

import httpx

from serverless_fastapi_cdk.toolkit.local_api.emulator import Emulator, api_audience
from serverless_fastapi_cdk.toolkit.local_api.model import ApiSpec
from serverless_fastapi_cdk.toolkit.local_api.routing import select_route

OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
_METHODS = ("get", "post", "put", "patch", "delete")


def fetch_openapi(url: str, api: ApiSpec) -> dict[str, Any] | None:
    """The service's OpenAPI document, when a public ``GET /openapi.json`` route of ``api`` serves it."""
    match = select_route(api.routes, "GET", OPENAPI_PATH)
    if match is None or match.route.authorizer is not None:
        return None
    try:
        response = httpx.get(url + OPENAPI_PATH, timeout=30)
        document: dict[str, Any] = response.json()
    except (httpx.HTTPError, json.JSONDecodeError):
        return None
    return document if response.status_code == 200 and "paths" in document else None


def _sample(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A minimal valid-looking value for ``schema``: required properties only."""
    if "$ref" in schema:
        return _sample(components.get(schema["$ref"].rsplit("/", 1)[-1], {}), components)
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            options = [option for option in schema[combined] if option.get("type") != "null"]
            return _sample(options[0], components) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: _sample(properties.get(name, {}), components) for name in schema.get("required", [])}
    return {"string": "example", "integer": 1, "number": 1, "boolean": True, "array": []}.get(str(kind))


def _curl(method: str, url: str, *, token: bool, body: Any = None) -> str:
    parts = ["curl -s"]
    if method != "GET":
        parts.append(f"-X {method}")
    if token:
        parts.append('-H "authorization: Bearer $TOKEN"')
    if body is not None:
        parts += ["-H 'content-type: application/json'", "-d " + shlex.quote(json.dumps(body))]
    parts.append(shlex.quote(url))
    return " ".join(parts)


def _commands(url: str, api: ApiSpec, openapi: dict[str, Any] | None, token: str) -> list[str]:
    routes = api.routes
    components = (openapi or {}).get("components", {}).get("schemas", {})
    operations: list[tuple[str, str, Any]] = []
    if openapi is not None:
        for path, item in openapi["paths"].items():
            for method in _METHODS:
                if method in item:
                    content = item[method].get("requestBody", {}).get("content", {})
                    schema = content.get("application/json", {}).get("schema")
                    operations.append((method.upper(), path, _sample(schema, components) if schema else None))
    else:
        for route in routes:
            method, _, path = route.route_key.partition(" ")
            if path:
                operations.append(("GET" if method == "ANY" else method, path, None))
    commands = []
    for method, path, body in operations:
        match = select_route(routes, method, path)
        if "{" in path or match is None:
            continue
        commands.append(_curl(method, url + path, token=match.route.authorizer is not None, body=body))
    return [command.replace("$TOKEN", f"${token}") for command in commands]


def _token_variable(api: ApiSpec, default_audience: str, several: bool) -> str:
    audience = api_audience(api)
    if not several or audience in (None, default_audience):
        return "TOKEN"
    return "TOKEN_" + "".join(char if char.isalnum() else "_" for char in api.name).upper()


def banner(emulator: Emulator, token_command: str) -> str:
    """The banner; ``token_command`` is how a user runs ``token`` from another terminal (``sfcdk token``)."""
    app = emulator.app
    where = f"stage {app.stage!r}" if app.stage else "the app's stacks"
    several = len(app.apis) > 1
    lines = [""]
    if several:
        lines.append(f"Local APIs of {where}, each on a port of its own:")
        lines += [f"  api       {api.name}: {emulator.url_of(api)}" for api in app.apis]
    else:
        lines.append(f"Local API of {where}: {emulator.url_of(app.api)}")
    for pool in emulator.pools.values():
        function = pool.function
        lines.append(
            f"  function  {function.name} ({function.runtime}, {function.memory_mb} MB, "
            f"{function.timeout_seconds:g} s timeout, at most {pool.max_environments} environments)"
        )
    lines += [f"  table     {table.name}" for table in app.tables]
    lines += [f"  secret    {secret.name}" for secret in app.secrets]
    lines.append(f"  AWS       moto at {emulator.aws.endpoint_url}")
    routes = [route for api in app.apis for route in api.routes]
    issuers = sorted({route.authorizer.template_issuer for route in routes if route.authorizer})
    default_audience = emulator.issuer.audience
    if issuers:
        lines.append(f"  issuer    {emulator.issuer.url} (stands in for {', '.join(issuers)})")
        lines += ["", "Get a token (valid 1 hour, while this runs):"]
        variables = {}
        for api in app.apis:
            variable = _token_variable(api, default_audience, several)
            if variable not in variables:
                variables[variable] = "" if variable == "TOKEN" else f" --api {shlex.quote(api.name)}"
        lines += [f"  {variable}=$({token_command} alice{option})" for variable, option in variables.items()]
    tries: list[str] = []
    documentation: list[str] = []
    for api in app.apis:
        url = emulator.url_of(api)
        openapi = fetch_openapi(url, api)
        tries += _commands(url, api, openapi, _token_variable(api, default_audience, several))
        docs = select_route(api.routes, "GET", DOCS_PATH)
        if openapi is not None and docs is not None and docs.route.authorizer is None:
            documentation.append(f"Every operation, with its parameters: {url}{DOCS_PATH}")
    if tries:
        lines += ["", "Try:"] + [f"  {command}" for command in tries]
    lines += documentation
    lines += ["", "Ctrl-C stops.", ""]
    return "\n".join(lines)
