"""docs/architecture.svg shows the dev stage as synthesized: every function, the request path, the
deployment and its alarms, with edges read from the templates' references and IAM policies.

The committed file's equality with a fresh rendering is checked with the other generated docs
(tests/tools/docs/test_generated_docs.py); these tests say what the picture must contain.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cdk_synthesis import ROOT, STACK_KINDS, SynthesizedApp
from tools.diagram.graph import Graph, Node, Templates, stage_graph
from tools.docs.pages import DIAGRAM, architecture_svg


@pytest.fixture(scope="module")
def dev_templates(synthesized_app: SynthesizedApp) -> Templates:
    return {
        synthesized_app.stack("dev", kind).stack_name: synthesized_app.template_json("dev", kind)
        for kind in STACK_KINDS
    }


@pytest.fixture(scope="module")
def graph(dev_templates: Templates) -> Graph:
    return stage_graph(dev_templates)


def construct_paths(templates: Templates, resource_type: str) -> set[str]:
    return {
        resource["Metadata"]["aws:cdk:path"].split("/", 2)[2].removesuffix("/Resource")
        for template in templates.values()
        for resource in template["Resources"].values()
        if resource["Type"] == resource_type
    }


def one(graph: Graph, resource_type: str) -> Node:
    (node,) = graph.nodes_of_type(resource_type)
    return node


def targets(graph: Graph, source: Node) -> dict[str, str]:
    """``{target node id: label}`` of ``source``'s edges."""
    return {edge.target: edge.label for edge in graph.edges if edge.source == source.id}


def test_the_committed_picture_is_the_dev_stage_as_synthesized(dev_templates: Templates) -> None:
    assert (ROOT / DIAGRAM).read_text() == architecture_svg(dev_templates), "run `make docs`"


@pytest.mark.parametrize(
    "resource_type",
    [
        "AWS::Lambda::Function",
        "AWS::CloudWatch::Alarm",
        "AWS::ApiGatewayV2::Route",
        "AWS::Cognito::UserPool",
        "AWS::DynamoDB::GlobalTable",
        "AWS::SecretsManager::Secret",
        "AWS::SNS::Topic",
        "AWS::CloudWatch::Dashboard",
        "AWS::CodeDeploy::DeploymentGroup",
        "AWS::Lambda::LayerVersion",
    ],
)
def test_every_resource_of_a_drawn_type_appears(
    dev_templates: Templates, graph: Graph, resource_type: str
) -> None:
    drawn = {name for node in graph.nodes_of_type(resource_type) for name in node.names}
    expected = construct_paths(dev_templates, resource_type)
    if resource_type == "AWS::ApiGatewayV2::Route":
        expected = {
            resource["Properties"]["RouteKey"]
            for template in dev_templates.values()
            for resource in template["Resources"].values()
            if resource["Type"] == resource_type
        }

    assert expected
    assert drawn == expected


def test_the_function_reaches_the_table_and_the_secret_through_its_role(graph: Graph) -> None:
    table = one(graph, "AWS::DynamoDB::GlobalTable")
    secret = one(graph, "AWS::SecretsManager::Secret")
    callers = [
        node for node in graph.nodes_of_type("AWS::Lambda::Function") if table.id in targets(graph, node)
    ]

    assert len(callers) == 1
    assert "dynamodb" in targets(graph, callers[0])[table.id]
    assert "secretsmanager" in targets(graph, callers[0])[secret.id]


def test_every_route_invokes_the_alias_which_points_at_the_function(graph: Graph) -> None:
    alias = one(graph, "AWS::Lambda::Alias")
    version = one(graph, "AWS::Lambda::Version")
    api = one(graph, "AWS::ApiGatewayV2::Api")

    for route in graph.nodes_of_type("AWS::ApiGatewayV2::Route"):
        assert {alias.id, api.id} <= set(targets(graph, route)), route.names
    assert version.id in targets(graph, alias)
    (function,) = (
        node for node in graph.nodes_of_type("AWS::Lambda::Function") if node.id in targets(graph, alias)
    )
    assert one(graph, "AWS::Lambda::LayerVersion").id in targets(graph, function)


def test_the_protected_routes_go_through_the_authorizer_to_the_user_pool(graph: Graph) -> None:
    authorizer = one(graph, "AWS::ApiGatewayV2::Authorizer")
    protected = [
        node
        for node in graph.nodes_of_type("AWS::ApiGatewayV2::Route")
        if authorizer.id in targets(graph, node)
    ]

    assert any("GET /{proxy+}" in node.names for node in protected)
    assert all("GET /health" not in node.names for node in protected)
    assert one(graph, "AWS::Cognito::UserPool").id in targets(graph, authorizer)


def test_the_deployment_group_shifts_the_alias_and_runs_both_hooks(graph: Graph) -> None:
    group = one(graph, "AWS::CodeDeploy::DeploymentGroup")
    hooks = {
        node.id
        for node in graph.nodes_of_type("AWS::Lambda::Function")
        if any(name.endswith("TrafficHook") for name in node.names)
    }

    assert one(graph, "AWS::Lambda::Alias").id in targets(graph, group)
    assert len(hooks) == 2
    assert hooks <= set(targets(graph, group))


def test_every_alarm_notifies_the_topic_and_the_rollback_ones_are_the_groups(graph: Graph) -> None:
    topic = one(graph, "AWS::SNS::Topic")
    group = one(graph, "AWS::CodeDeploy::DeploymentGroup")
    alarms = graph.nodes_of_type("AWS::CloudWatch::Alarm")

    assert all(topic.id in targets(graph, alarm) for alarm in alarms)
    assert any(alarm.id in targets(graph, group) for alarm in alarms)
    assert any(alarm.id not in targets(graph, group) for alarm in alarms)


def resource(resource_type: str, path: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": resource_type,
        "Metadata": {"aws:cdk:path": f"s/Stack/{path}/Resource"},
        "Properties": properties,
    }


def small_stage() -> dict[str, dict[str, Any]]:
    """Two stacks: a table exported through an output, a function whose role's policy grants on it, two
    routes alike and one different."""
    stateful = {
        "Resources": {"Table": resource("AWS::DynamoDB::GlobalTable", "Table", {})},
        "Outputs": {"TableArn": {"Value": {"Fn::GetAtt": ["Table", "Arn"]}}},
    }
    table_arn = {"Fn::GetStackOutput": {"StackName": "s-Stateful", "OutputName": "TableArn"}}
    route = {"ApiId": {"Ref": "Api"}, "Target": {"Fn::Sub": "integrations/${Integration}"}}
    stateless = {
        "Resources": {
            "Api": resource("AWS::ApiGatewayV2::Api", "Api", {}),
            "Integration": {
                "Type": "AWS::ApiGatewayV2::Integration",
                "Properties": {"IntegrationUri": {"Ref": "Fn"}},
            },
            "RouteA": resource("AWS::ApiGatewayV2::Route", "A", {**route, "RouteKey": "GET /a"}),
            "RouteB": resource("AWS::ApiGatewayV2::Route", "B", {**route, "RouteKey": "GET /b"}),
            "RouteC": resource(
                "AWS::ApiGatewayV2::Route", "C", {"ApiId": {"Ref": "Api"}, "RouteKey": "GET /c"}
            ),
            "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "Roles": [{"Ref": "Role"}],
                    "PolicyDocument": {
                        "Statement": [{"Action": ["dynamodb:GetItem"], "Resource": table_arn}]
                    },
                },
            },
            "Fn": resource("AWS::Lambda::Function", "Fn", {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}),
        }
    }
    return {"s-Stateful": stateful, "s-Stateless": stateless}


def test_references_are_followed_through_outputs_roles_and_integrations() -> None:
    graph = stage_graph(small_stage())
    function = one(graph, "AWS::Lambda::Function")
    table = one(graph, "AWS::DynamoDB::GlobalTable")
    routes = {node.names: node for node in graph.nodes_of_type("AWS::ApiGatewayV2::Route")}

    assert targets(graph, function) == {table.id: "dynamodb"}
    assert set(routes) == {("GET /a", "GET /b"), ("GET /c",)}
    assert function.id in targets(graph, routes[("GET /a", "GET /b")])
    assert function.id not in targets(graph, routes[("GET /c",)])
    assert table.stack == "s-Stateful"


def test_the_picture_does_not_depend_on_the_order_of_the_templates() -> None:
    stage = small_stage()
    reordered = {
        name: {**template, "Resources": dict(reversed(template["Resources"].items()))}
        for name, template in reversed(stage.items())
    }

    assert architecture_svg(reordered) == architecture_svg(stage)
