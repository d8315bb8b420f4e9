"""docs/constructs.md's example of another service synthesizes, with the constructs it describes.

The example's code block runs as written, as the ``app.py`` of a folder holding the stand-in orders
service (tests/constructs/fixtures/orders_service); the test then checks what the composed stack contains.
"""

from __future__ import annotations

import inspect
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

import cdk_app.constructs
from tests.support.cdk_synthesis import ROOT

DOC = ROOT / "docs" / "constructs.md"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "orders_service"


def example_code() -> str:
    section = DOC.read_text().split("## Example: another service", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the example section has a python code block"
    return match.group(1)


@pytest.fixture(scope="module")
def orders_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("orders")
    shutil.copytree(FIXTURE, workdir / "orders_service")
    namespace: dict[str, Any] = {"__file__": str(workdir / "app.py")}
    exec(compile(example_code(), str(DOC), "exec"), namespace)  # noqa: S102 - the documented example
    app: App = namespace["app"]
    template: dict[str, Any] = app.synth().get_stack_by_name("Orders").template
    return template


def resources_of(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [resource for resource in template["Resources"].values() if resource["Type"] == resource_type]


def test_the_example_composes_a_whole_service(orders_template: dict[str, Any]) -> None:
    (table,) = resources_of(orders_template, "AWS::DynamoDB::GlobalTable")
    assert table["Properties"]["KeySchema"] == [{"AttributeName": "order_id", "KeyType": "HASH"}]
    (function,) = [
        fn
        for fn in resources_of(orders_template, "AWS::Lambda::Function")
        if fn["Properties"]["Handler"] == "orders.handler.handler"
    ]
    assert function["Properties"]["Architectures"] == ["arm64"]
    assert function["Properties"]["ReservedConcurrentExecutions"] == 20
    assert len(resources_of(orders_template, "AWS::Lambda::LayerVersion")) == 1
    assert len(resources_of(orders_template, "AWS::Lambda::Alias")) == 1
    assert len(resources_of(orders_template, "AWS::CodeDeploy::DeploymentGroup")) == 1
    assert len(resources_of(orders_template, "AWS::SNS::Topic")) == 1


def test_the_example_protects_its_routes_with_the_user_pool(orders_template: dict[str, Any]) -> None:
    routes = {
        route["Properties"]["RouteKey"]: route["Properties"]["AuthorizationType"]
        for route in resources_of(orders_template, "AWS::ApiGatewayV2::Route")
    }
    assert routes == {"GET /health": "NONE", "GET /orders": "JWT", "POST /orders": "JWT"}
    (authorizer,) = resources_of(orders_template, "AWS::ApiGatewayV2::Authorizer")
    assert authorizer["Properties"]["AuthorizerType"] == "JWT"
    assert "cognito-idp" in str(authorizer["Properties"]["JwtConfiguration"]["Issuer"])


PROP_ROW = re.compile(r"^\| `(\w+)` \|", re.MULTILINE)
CONSTRUCT_SECTION = re.compile(r"^## `(\w+)`\n(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)


def test_every_documented_construct_lists_exactly_its_props() -> None:
    sections = CONSTRUCT_SECTION.findall(DOC.read_text())
    assert sections, "docs/constructs.md has a section per construct"
    for name, body in sections:
        signature = inspect.signature(getattr(cdk_app.constructs, name).__init__)
        keyword_props = {
            parameter.name
            for parameter in signature.parameters.values()
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY
        }
        assert set(PROP_ROW.findall(body)) == keyword_props, name
