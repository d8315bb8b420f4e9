"""A change to the layer alone publishes a new function version, so CodeDeploy runs a deployment for it.

CloudFormation only publishes a version when the ``AWS::Lambda::Version`` resource is new, and CDK names that
resource after a hash of the function. With ``@aws-cdk/aws-lambda:recognizeLayerVersion`` (set in cdk.json)
the hash covers the layers' content; without it a dependency upgrade would change the layer but leave the
alias, the canary and the rollback alarms on the old version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from synth_support import FIXTURES, cdk_json_context, logical_id

from serverless_fastapi_cdk.api_function import ApiFunction
from serverless_fastapi_cdk.canary_deployment import (
    ENV_TARGET_VERSION_ARN,
    ApplicationMetrics,
    CanaryDeployment,
    DeploymentChecks,
)

FLAG = "@aws-cdk/aws-lambda:recognizeLayerVersion"


def layer_folder(root: Path, content: str) -> Path:
    folder = root / content
    (folder / "python" / "pinned").mkdir(parents=True)
    (folder / "python" / "pinned" / "__init__.py").write_text(f'VERSION = "{content}"\n')
    return folder


def synthesize(layer_dir: Path, outdir: Path, *, recognize_layer_version: bool) -> dict[str, Any]:
    """A function from app constructs on a layer, under CodeDeploy; returns what decides a deployment."""
    app = cdk.App(context={**cdk_json_context(), FLAG: recognize_layer_version}, outdir=str(outdir))
    stack = cdk.Stack(app, "LayerChange", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    layer = lambda_.LayerVersion(
        stack,
        "Dependencies",
        code=lambda_.Code.from_asset(str(layer_dir)),
        compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
        compatible_architectures=[lambda_.Architecture.ARM_64],
    )
    function = ApiFunction(
        stack,
        "Api",
        package_dir=FIXTURES / "tiny_service",
        handler="tiny_service.orders.handle",
        service_name="orders",
        metrics_namespace="Orders",
        aws_services=("DynamoDB",),
        environment_contents="the orders table's name",
        layers=[layer],
    )
    api = apigwv2.HttpApi(
        stack, "Http", default_integration=integrations.HttpLambdaIntegration("Integration", function.alias)
    )
    assert api.default_stage is not None
    canary = CanaryDeployment(
        stack,
        "Canary",
        alias=function.alias,
        function_timeout=function.timeout,
        http_stage=api.default_stage,
        metrics=ApplicationMetrics(
            namespace="Orders",
            service_name="orders",
            unhandled_errors="UnhandledErrors",
            server_errors="ServerErrors",
            client_errors="ClientErrors",
            version_dimension="function_version",
        ),
        checks=DeploymentChecks(health_path="/health"),
    )
    assert canary.pre_traffic_hook is not None
    resources = app.synth().get_stack_by_name("LayerChange").template["Resources"]
    alias = resources[logical_id(function.alias)]
    hook_id = logical_id(canary.pre_traffic_hook)
    return {
        "version": alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0],
        "hook_target": resources[hook_id]["Properties"]["Environment"]["Variables"][ENV_TARGET_VERSION_ARN],
        "alarm_versions": sorted(
            {
                str(d["Value"])
                for alarm in canary.alarms
                for d in resources[logical_id(alarm)]["Properties"].get("Dimensions", [])
                if d["Name"] == "ExecutedVersion"
            }
        ),
        "layer_key": resources[logical_id(layer)]["Properties"]["Content"]["S3Key"],
        "update_policy": alias["UpdatePolicy"],
    }


@pytest.fixture(scope="module")
def layer_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("layers")
    return layer_folder(root, "1.16.0"), layer_folder(root, "1.17.0")


def test_cdk_json_enables_the_flag():
    assert cdk_json_context()[FLAG] is True


def test_layer_only_change_publishes_a_version_that_codedeploy_shifts_to(layer_dirs, tmp_path):
    before = synthesize(layer_dirs[0], tmp_path / "before", recognize_layer_version=True)
    after = synthesize(layer_dirs[1], tmp_path / "after", recognize_layer_version=True)

    assert before["layer_key"] != after["layer_key"]
    assert before["version"] != after["version"]
    assert after["hook_target"] == {"Ref": after["version"]}
    assert after["alarm_versions"] == [str({"Fn::GetAtt": [after["version"], "Version"]})]
    assert before["update_policy"] == after["update_policy"]


def test_without_the_flag_a_layer_change_would_skip_the_canary(layer_dirs, tmp_path):
    """The control: the same change with the flag off keeps the old version, so nothing is deployed."""
    before = synthesize(layer_dirs[0], tmp_path / "before", recognize_layer_version=False)
    after = synthesize(layer_dirs[1], tmp_path / "after", recognize_layer_version=False)

    assert before["layer_key"] != after["layer_key"]
    assert before["version"] == after["version"]
