"""Route selection as HTTP APIs do it.

API Gateway picks, in order: a route whose path and method match exactly, then one whose path
matches through a greedy variable (``{proxy+}``), then ``$default``. Among several matches, the one
with more literal path segments wins, and a route for the request's method beats ``ANY`` on the
same path. A greedy variable needs at least one segment, so ``/{proxy+}`` does not match ``/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from serverless_fastapi_cdk.toolkit.local_api.model import RouteSpec

DEFAULT_ROUTE = "$default"


@dataclass(frozen=True)
class RouteMatch:
    route: RouteSpec
    path_parameters: dict[str, str]
    """Still percent-encoded; the event builder decodes them."""


def _match_path(template: str, path: str) -> tuple[dict[str, str], int, bool] | None:
    """Path parameters, number of literal segments and whether a greedy variable matched, or None."""
    expected = template.strip("/").split("/") if template.strip("/") else []
    actual = path.strip("/").split("/") if path.strip("/") else []
    if path.endswith("/") and path != "/":
        actual.append("")
    parameters: dict[str, str] = {}
    literals = 0
    for index, segment in enumerate(expected):
        if segment.startswith("{") and segment.endswith("+}"):
            rest = actual[index:]
            if not rest or rest == [""]:
                return None
            parameters[segment[1:-2]] = "/".join(rest)
            return parameters, literals, True
        if index >= len(actual):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            if not actual[index]:
                return None
            parameters[segment[1:-1]] = actual[index]
        elif segment == actual[index]:
            literals += 1
        else:
            return None
    if len(actual) != len(expected):
        return None
    return parameters, literals, False


def select_route(routes: Sequence[RouteSpec], method: str, path: str) -> RouteMatch | None:
    """The route API Gateway would invoke for ``method`` on ``path`` (raw, without query), or None."""
    best: tuple[tuple[bool, int, bool], RouteMatch] | None = None
    default: RouteSpec | None = None
    for route in routes:
        if route.route_key == DEFAULT_ROUTE:
            default = route
            continue
        route_method, _, template = route.route_key.partition(" ")
        if route_method not in (method, "ANY"):
            continue
        matched = _match_path(template, path)
        if matched is None:
            continue
        parameters, literals, greedy = matched
        rank = (not greedy, literals, route_method != "ANY")
        if best is None or rank > best[0]:
            best = (rank, RouteMatch(route, parameters))
    if best is not None:
        return best[1]
    return RouteMatch(default, {}) if default is not None else None
