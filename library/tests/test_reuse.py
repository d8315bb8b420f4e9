"""A platform team composes the constructs around its own service: nothing of this app's runtime leaks in.

The service is a fixture package (``fixtures/tiny_service``) with its own pinned requirements. The same
composition proves that changing only the pinned requirements publishes a new function version, so
CodeDeploy has something to shift traffic to (feature flag ``@aws-cdk/aws-lambda:recognizeLayerVersion``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Acknowledgment, App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from synth_support import FIXTURES, LIBRARY, cdk_json_context, logical_id, resources_of_type

from serverless_fastapi_cdk.api_function import ApiFunction
from serverless_fastapi_cdk.dependency_layer import DependencyLayer
from serverless_fastapi_cdk.http_api import ServiceHttpApi
from serverless_fastapi_cdk.service_table import ServiceTable

REQUIREMENTS = FIXTURES / "requirements"
ISSUER = "https://auth.orders.example.com/"


@dataclass(frozen=True)
class OrdersService:
    stack: Stack
    function: ApiFunction
    template: dict[str, Any]
    outdir: Path

    def version_ids(self) -> list[str]:
        return list(resources_of_type(self.template, "AWS::Lambda::Version"))


def synthesize_orders_service(outdir: Path, requirements: Path) -> OrdersService:
    app = App(context=cdk_json_context(), outdir=str(outdir))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    stack = Stack(app, "Orders", env=Environment(region="us-east-2"))
    table = ServiceTable(stack, "Orders", partition_key="order_id", deletion_protection=False).table
    layer = DependencyLayer(
        stack, "Deps", requirements_file=requirements, cache_dir=LIBRARY / "build" / "layers"
    )
    function = ApiFunction(
        stack,
        "Api",
        package_dir=FIXTURES / "tiny_service",
        handler="tiny_service.orders.handle",
        service_name="orders",
        metrics_namespace="Orders",
        aws_services=["DynamoDB"],
        environment_contents="the orders table's name",
        layers=[layer.layer],
        environment={"ORDERS_TABLE": table.table_name},
        reserved_concurrency=2,
    )
    table.grant_read_data(function.role)
    Validations.of(function.function).acknowledge(
        Acknowledgment(
            id="AwsSolutions-L1", reason="The orders team pins Python 3.13 until its own upgrade."
        ),
        Acknowledgment(id="Serverless-LambdaLatestVersion", reason="The orders team pins Python 3.13 too."),
    )
    ServiceHttpApi(
        stack,
        "Http",
        handler=function.alias,
        jwt_issuer=ISSUER,
        jwt_audience=["orders-web"],
        public_routes={"GET /ping": "uptime probe of the orders team's monitoring"},
        protected_routes=["POST /orders", "GET /orders/{id}"],
    )
    app.synth()
    template = json.loads((outdir / stack.template_file).read_text())
    return OrdersService(stack=stack, function=function, template=template, outdir=outdir)


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> OrdersService:
    return synthesize_orders_service(tmp_path_factory.mktemp("orders"), REQUIREMENTS / "six-1.17.0.txt")


def test_the_function_ships_the_other_package_with_its_own_handler(orders: OrdersService):
    properties = orders.template["Resources"][logical_id(orders.function.function)]
    code_dir = orders.outdir / properties["Metadata"]["aws:asset:path"]

    assert properties["Properties"]["Handler"] == "tiny_service.orders.handle"
    assert sorted(path.name for path in code_dir.iterdir()) == ["serverless_fastapi_cdk", "tiny_service"]
    assert (code_dir / "tiny_service" / "orders.py").is_file()
    assert list(code_dir.rglob("contract.py")) == []


def test_the_layer_holds_only_the_other_requirements(orders: OrdersService):
    (layer,) = resources_of_type(orders.template, "AWS::Lambda::LayerVersion").values()
    site = orders.outdir / layer["Metadata"]["aws:asset:path"] / "python"

    assert sorted(path.name for path in site.glob("*.dist-info")) == ["six-1.17.0.dist-info"]


def test_the_api_has_the_other_routes_and_issuer(orders: OrdersService):
    routes = {
        route["Properties"]["RouteKey"]: route["Properties"]["AuthorizationType"]
        for route in resources_of_type(orders.template, "AWS::ApiGatewayV2::Route").values()
    }
    (authorizer,) = resources_of_type(orders.template, "AWS::ApiGatewayV2::Authorizer").values()

    assert routes == {"GET /ping": "NONE", "POST /orders": "JWT", "GET /orders/{id}": "JWT"}
    assert authorizer["Properties"]["JwtConfiguration"] == {"Issuer": ISSUER, "Audience": ["orders-web"]}


def test_the_table_uses_the_other_key_schema(orders: OrdersService):
    (table,) = resources_of_type(orders.template, "AWS::DynamoDB::GlobalTable").values()

    assert table["Properties"]["KeySchema"] == [{"AttributeName": "order_id", "KeyType": "HASH"}]
    assert "TimeToLiveSpecification" not in table["Properties"]


def test_changing_only_the_pinned_requirements_publishes_a_new_version(orders: OrdersService, tmp_path: Path):
    repinned = synthesize_orders_service(tmp_path, REQUIREMENTS / "six-1.16.0.txt")
    function_id = logical_id(orders.function.function)
    before, after = orders.template["Resources"], repinned.template["Resources"]

    assert before[function_id]["Properties"]["Code"] == after[function_id]["Properties"]["Code"]
    (old_version,), (new_version,) = orders.version_ids(), repinned.version_ids()
    assert old_version != new_version
    alias_id = logical_id(orders.function.alias)
    assert after[alias_id]["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [new_version, "Version"]}


def test_the_same_requirements_keep_the_same_version(orders: OrdersService, tmp_path: Path):
    again = synthesize_orders_service(tmp_path, REQUIREMENTS / "six-1.17.0.txt")

    assert again.version_ids() == orders.version_ids()
