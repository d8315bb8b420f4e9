"""The settings table of docs/infrastructure.md reads each environment's values from its templates."""

from __future__ import annotations

from typing import Any

from tools.docs.environments import environment_table
from tools.docs.pages import Sources


def stage(*, snap_start: bool, provisioned: int | None, config: Any) -> dict[str, Any]:
    function: dict[str, Any] = {
        "MemorySize": 512,
        "Timeout": 10,
        "LoggingConfig": {"ApplicationLogLevel": "DEBUG", "LogGroup": {"Ref": "Logs"}},
    }
    if snap_start:
        function["SnapStart"] = {"ApplyOn": "PublishedVersions"}
    alias: dict[str, Any] = {"FunctionName": {"Ref": "Fn"}}
    if provisioned:
        alias["ProvisionedConcurrencyConfig"] = {"ProvisionedConcurrentExecutions": provisioned}
    resources = {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": function},
        "Alias": {"Type": "AWS::Lambda::Alias", "Properties": alias},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
        "Stage": {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {
                "DefaultRouteSettings": {"ThrottlingRateLimit": 20, "ThrottlingBurstLimit": 40},
                "RouteSettings": {
                    "GET /health": {"ThrottlingRateLimit": 5, "ThrottlingBurstLimit": 10},
                    "GET /docs": {"ThrottlingRateLimit": 5, "ThrottlingBurstLimit": 10},
                },
            },
        },
        "Public": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {"RouteKey": "GET /health"}},
        "Private": {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {"RouteKey": "GET /items", "AuthorizationType": "JWT"},
        },
        "Table": {"Type": "AWS::DynamoDB::GlobalTable", "DeletionPolicy": "Retain", "Properties": {}},
        "Group": {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": {"DeploymentConfigName": config}},
        "Custom": {
            "Type": "AWS::CodeDeploy::DeploymentConfig",
            "Properties": {"TrafficRoutingConfig": {"Type": "TimeBasedCanary"}},
        },
    }
    return {"x-Stateless": {"Resources": resources}}


def rows(table: str) -> dict[str, list[str]]:
    return {
        cells[0]: cells[1:]
        for line in table.splitlines()[2:]
        if (cells := [cell.strip() for cell in line.strip("|").split(" | ")])
    }


def test_each_column_is_its_environments_templates() -> None:
    table = environment_table(
        {
            "a": stage(snap_start=False, provisioned=None, config="CodeDeployDefault.LambdaAllAtOnce"),
            "b": stage(snap_start=True, provisioned=None, config="CodeDeployDefault.LambdaAllAtOnce"),
            "c": stage(snap_start=False, provisioned=3, config={"Ref": "Custom"}),
        }
    )
    found = rows(table)

    assert table.splitlines()[0] == "| setting | a | b | c |"
    assert found["cold start"] == ["on demand", "SnapStart", "3 provisioned"]
    assert found["function memory / timeout / reserved concurrency"][0] == "512 MB / 10 s / none"
    assert found["routes with their own throttling (rate / burst)"][0] == "`GET /docs`, `GET /health`: 5 / 10"
    assert found["routes without a token"][0] == "`GET /health`"
    assert found["function log level / retention"][0] == "DEBUG / 7 days"
    assert found["table, user pool and secret when their stack is deleted"][0] == "Retain"
    assert found["table deletion protection"][0] == "off"
    assert (
        found["traffic shifting (CodeDeploy deployment config)"][2] == 'custom: `{"Type": "TimeBasedCanary"}`'
    )


def test_the_app_has_a_value_for_every_setting_in_every_environment(docs_sources: Sources) -> None:
    found = rows(environment_table(docs_sources.stages))

    assert all(len(values) == len(docs_sources.stages) and all(values) for values in found.values())
