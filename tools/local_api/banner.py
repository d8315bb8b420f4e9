"""What ``make run`` prints once the API is up: where it is, how to get a token, curl commands.

The commands come from the service's own OpenAPI document when a public route serves it (fetched
through the emulator, so one execution environment is already warm when the banner appears), and
from the template's route keys otherwise; operations with path parameters are left to the docs page.
"""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING, Any

import httpx

from tools.local_api.routing import select_route

if TYPE_CHECKING:
    from tools.local_api.emulator import Emulator

OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
_METHODS = ("get", "post", "put", "patch", "delete")


def fetch_openapi(emulator: Emulator) -> dict[str, Any] | None:
    """The service's OpenAPI document, when a public ``GET /openapi.json`` route serves it."""
    match = select_route(emulator.app.api.routes, "GET", OPENAPI_PATH)
    if match is None or match.route.authorizer is not None:
        return None
    try:
        response = httpx.get(emulator.url + OPENAPI_PATH, timeout=30)
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


def _commands(emulator: Emulator, openapi: dict[str, Any] | None) -> list[str]:
    routes = emulator.app.api.routes
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
        commands.append(
            _curl(method, emulator.url + path, token=match.route.authorizer is not None, body=body)
        )
    return commands


def banner(emulator: Emulator) -> str:
    app = emulator.app
    lines = [
        "",
        f"Local API of stage {app.stage!r}: {emulator.url}",
    ]
    for pool in emulator.pools.values():
        function = pool.function
        lines.append(
            f"  function  {function.name} ({function.runtime}, {function.memory_mb} MB, "
            f"{function.timeout_seconds:g} s timeout, at most {pool.max_environments} environments)"
        )
    lines += [f"  table     {table.name}" for table in app.tables]
    lines += [f"  secret    {secret.name}" for secret in app.secrets]
    lines.append(f"  AWS       moto at {emulator.aws.endpoint_url}")
    issuers = sorted({route.authorizer.template_issuer for route in app.api.routes if route.authorizer})
    if issuers:
        lines.append(f"  issuer    {emulator.issuer.url} (stands in for {', '.join(issuers)})")
        lines += ["", "Get a token (valid 1 hour, while this runs):", "  TOKEN=$(make -s token USER=alice)"]
    openapi = fetch_openapi(emulator)
    commands = _commands(emulator, openapi)
    if commands:
        lines += ["", "Try:"] + [f"  {command}" for command in commands]
    docs = select_route(app.api.routes, "GET", DOCS_PATH)
    if openapi is not None and docs is not None and docs.route.authorizer is None:
        lines.append(f"Every operation, with its parameters: {emulator.url}{DOCS_PATH}")
    lines += ["", "Ctrl-C stops.", ""]
    return "\n".join(lines)
