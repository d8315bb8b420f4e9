"""Which resources of a stage use which: a graph derived from the templates' references.

A reference is a ``Ref``, ``Fn::GetAtt``, ``${...}`` in ``Fn::Sub`` or ``Fn::GetStackOutput`` (followed to
the output's value in the other stack) anywhere in a resource's properties. Three kinds of resource are
looked through rather than drawn:

- an IAM role stands for the permissions its policies grant: a function whose role may call the table
  gets an edge to the table, labelled with the AWS services of the actions;
- CodeDeploy's ``CodeDeployLambdaAliasUpdate`` policy on an alias becomes the deployment group's edges
  to the alias it shifts and to the hooks it runs;
- every other type outside :data:`DRAWN_TYPES` (integrations, permissions, log groups, keys) passes its
  references on to whatever refers to it.

Resources of one type with the same edges in and out (the routes behind the authorizer, the alarms on
one metric source) become one node that lists them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

DRAWN_TYPES = (
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Stage",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Authorizer",
    "AWS::CodeDeploy::Application",
    "AWS::CodeDeploy::DeploymentGroup",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolDomain",
    "AWS::Cognito::UserPoolResourceServer",
    "AWS::Lambda::Function",
    "AWS::Lambda::Alias",
    "AWS::Lambda::Version",
    "AWS::Lambda::LayerVersion",
    "AWS::DynamoDB::GlobalTable",
    "AWS::DynamoDB::Table",
    "AWS::SecretsManager::Secret",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
)
"""The resource types the picture shows; their order breaks ties (in a cycle, the first type visited
keeps its outgoing edges in the layering)."""

_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")

type Templates = Mapping[str, Mapping[str, Any]]
"""``{stack name: template}`` of one stage, e.g. ``{"dev-Stateful": {...}, "dev-Stateless": {...}}``."""
type Key = tuple[str, str]
"""``(stack name, logical id)`` of one resource."""


@dataclass(frozen=True)
class Node:
    """One box: a resource, or several of one type with the same edges."""

    id: str
    type: str
    stack: str
    names: tuple[str, ...]

    @property
    def service(self) -> str:
        """``AWS::Lambda::Function`` -> ``Lambda``."""
        return self.type.split("::")[1]

    @property
    def kind(self) -> str:
        """``AWS::Lambda::Function`` -> ``Lambda::Function``."""
        return self.type.removeprefix("AWS::")


@dataclass(frozen=True)
class Edge:
    """``source`` uses ``target``; ``label`` names the IAM services granted, when the use is a permission."""

    source: str
    target: str
    label: str


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def node(self, node_id: str) -> Node:
        return next(node for node in self.nodes if node.id == node_id)

    def nodes_of_type(self, resource_type: str) -> list[Node]:
        return [node for node in self.nodes if node.type == resource_type]


def _references(value: Any, stack: str, templates: Templates) -> Iterator[Key]:
    """Every resource ``value`` refers to, cross-stack outputs followed to their resource."""
    if isinstance(value, list):
        for item in value:
            yield from _references(item, stack, templates)
        return
    if not isinstance(value, dict):
        return
    resources = templates[stack].get("Resources", {})
    for function, argument in value.items():
        if function == "Ref" and isinstance(argument, str) and argument in resources:
            yield (stack, argument)
        elif function == "Fn::GetAtt":
            name = argument[0] if isinstance(argument, list) else str(argument).split(".", 1)[0]
            if name in resources:
                yield (stack, name)
        elif function == "Fn::Sub":
            text = argument[0] if isinstance(argument, list) else argument
            yield from ((stack, name) for name in _SUB_NAME.findall(str(text)) if name in resources)
            if isinstance(argument, list):
                yield from _references(argument[1:], stack, templates)
        elif function == "Fn::GetStackOutput" and argument.get("StackName") in templates:
            other = argument["StackName"]
            output = templates[other].get("Outputs", {}).get(argument.get("OutputName"), {})
            yield from _references(output.get("Value"), other, templates)
        else:
            yield from _references(argument, stack, templates)


def _services(statement: Mapping[str, Any]) -> set[str]:
    actions = statement.get("Action", [])
    return {action.split(":", 1)[0] for action in ([actions] if isinstance(actions, str) else actions)}


def _raw_edges(templates: Templates) -> dict[Key, dict[Key, set[str]]]:
    """``{source: {target: labels}}`` straight from the templates, before looking through anything."""
    edges: dict[Key, dict[Key, set[str]]] = defaultdict(lambda: defaultdict(set))
    for stack, template in sorted(templates.items()):
        for logical_id, resource in sorted(template.get("Resources", {}).items()):
            source = (stack, logical_id)
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::IAM::Policy":
                roles = set(_references(properties.get("Roles", []), stack, templates))
                for statement in properties.get("PolicyDocument", {}).get("Statement", []):
                    for target in _references(statement.get("Resource"), stack, templates):
                        for role in roles:
                            edges[role][target] |= _services(statement)
                continue
            for target in _references(properties, stack, templates):
                edges[source][target] |= set()
            update = resource.get("UpdatePolicy", {}).get("CodeDeployLambdaAliasUpdate", {})
            groups = list(_references(update.get("DeploymentGroupName"), stack, templates))
            hooks = [
                update[name] for name in ("BeforeAllowTrafficHook", "AfterAllowTrafficHook") if name in update
            ]
            for group in groups:
                edges[group][source] |= set()
                for hook in _references(hooks, stack, templates):
                    edges[group][hook] |= set()
    return edges


def _name(resource: Mapping[str, Any], logical_id: str) -> str:
    """A route by its key, anything else by its construct path inside the stack."""
    properties = resource.get("Properties", {})
    if resource["Type"] == "AWS::ApiGatewayV2::Route":
        return str(properties["RouteKey"])
    path = str(resource.get("Metadata", {}).get("aws:cdk:path", logical_id))
    return path.split("/", 2)[-1].removesuffix("/Resource")


def stage_graph(templates: Templates) -> Graph:
    """The drawn resources of one stage and the edges between them."""
    raw = _raw_edges(templates)
    drawn = {
        (stack, logical_id): resource
        for stack, template in templates.items()
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] in DRAWN_TYPES
    }
    contracted: dict[Key, dict[Key, set[str]]] = {}
    for source in drawn:
        reached: dict[Key, set[str]] = defaultdict(set)
        pending = [(target, labels) for target, labels in raw.get(source, {}).items()]
        seen = {source}
        while pending:
            target, labels = pending.pop()
            if target in drawn:
                reached[target] |= labels
            elif target not in seen:
                seen.add(target)
                pending.extend((further, labels | more) for further, more in raw.get(target, {}).items())
        reached.pop(source, None)
        contracted[source] = reached
    return _merged(drawn, contracted)


def _merged(drawn: Mapping[Key, Mapping[str, Any]], edges: Mapping[Key, Mapping[Key, set[str]]]) -> Graph:
    incoming: dict[Key, set[Key]] = defaultdict(set)
    for source, targets in edges.items():
        for target in targets:
            incoming[target].add(source)
    groups: dict[tuple[Any, ...], list[Key]] = defaultdict(list)
    for key, resource in drawn.items():
        signature = (
            resource["Type"],
            key[0],
            tuple(sorted((target, tuple(sorted(labels))) for target, labels in edges[key].items())),
            tuple(sorted(incoming[key])),
        )
        groups[signature].append(key)
    node_of: dict[Key, str] = {}
    nodes = []
    for signature, keys in groups.items():
        names = tuple(sorted(_name(drawn[key], key[1]) for key in keys))
        node = Node(
            id=f"{signature[0]}|{signature[1]}|{names[0]}", type=signature[0], stack=signature[1], names=names
        )
        nodes.append(node)
        node_of.update(dict.fromkeys(keys, node.id))
    merged: dict[tuple[str, str], set[str]] = defaultdict(set)
    for source, targets in edges.items():
        for target, labels in targets.items():
            merged[(node_of[source], node_of[target])] |= labels
    return Graph(
        nodes=tuple(sorted(nodes, key=lambda node: node.id)),
        edges=tuple(
            Edge(source=source, target=target, label=", ".join(sorted(labels)))
            for (source, target), labels in sorted(merged.items())
        ),
    )
