"""CloudFormation intrinsic functions evaluated against local stand-ins."""

from __future__ import annotations

from typing import Any

import pytest

from serverless_fastapi_cdk.toolkit.local_api.intrinsics import (
    Physical,
    Resolver,
    StackTemplate,
    TemplateError,
    default_physical,
)

TEMPLATE: dict[str, Any] = {
    "Parameters": {"Stage": {"Type": "String", "Default": "dev"}, "NoDefault": {"Type": "String"}},
    "Conditions": {"IsDev": {"Fn::Equals": [{"Ref": "Stage"}, "dev"]}},
    "Mappings": {"Sizes": {"dev": {"Memory": "512"}}},
    "Resources": {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "named-fn"}},
        "Pool": {"Type": "AWS::Cognito::UserPool"},
        "Thing": {"Type": "AWS::SNS::Topic"},
    },
}


class _Outputs:
    def export(self, name: str) -> Any:
        if name == "shared-table":
            return "table-from-export"
        raise TemplateError(name)

    def output(self, stack_name: str, output_name: str) -> Any:
        return f"{stack_name}/{output_name}"


def _resolver() -> Resolver:
    stack = StackTemplate(artifact_id="Art", stack_name="dev-Stack", template=TEMPLATE)

    def physical(stack: StackTemplate, logical_id: str) -> Physical:
        resource = stack.resources[logical_id]
        return default_physical(stack, logical_id, resource, region="eu-west-1", account="123456789012")

    return Resolver(
        stack, region="eu-west-1", account="123456789012", physical=physical, cross_stack=_Outputs()
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"Ref": "AWS::Region"}, "eu-west-1"),
        ({"Ref": "Stage"}, "dev"),
        ({"Ref": "Fn"}, "named-fn"),
        ({"Fn::GetAtt": ["Fn", "Arn"]}, "arn:aws:lambda:eu-west-1:123456789012:function:named-fn"),
        ({"Fn::GetAtt": "Fn.Arn"}, "arn:aws:lambda:eu-west-1:123456789012:function:named-fn"),
        ({"Fn::Join": ["-", ["a", {"Ref": "Stage"}, "b"]]}, "a-dev-b"),
        (
            {"Fn::Sub": "${AWS::StackName}:${Fn.Arn}:${!Literal}"},
            "dev-Stack:" + "arn:aws:lambda:eu-west-1:123456789012:function:named-fn:${Literal}",
        ),
        ({"Fn::Sub": ["${X}/${Stage}", {"X": {"Ref": "Fn"}}]}, "named-fn/dev"),
        ({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, "b"),
        ({"Fn::ImportValue": "shared-table"}, "table-from-export"),
        (
            {"Fn::GetStackOutput": {"StackName": "dev-Other", "OutputName": "Out", "Region": "eu-west-1"}},
            "dev-Other/Out",
        ),
        ({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}, "512"),
        ({"Fn::If": ["IsDev", "yes", "no"]}, "yes"),
        ({"Fn::Base64": "hi"}, "aGk="),
        ([1, {"Ref": "AWS::NoValue"}, 2], [1, 2]),
        ({"A": {"Ref": "AWS::NoValue"}, "B": 1}, {"B": 1}),
    ],
)
def test_intrinsics_resolve_to_local_values(expression: Any, expected: Any) -> None:
    assert _resolver().resolve(expression) == expected


def test_unnamed_resources_get_stable_names_from_the_stack_and_logical_id() -> None:
    resolver = _resolver()
    assert resolver.resolve({"Ref": "Thing"}) == "local-dev-Stack-Thing"
    pool_id = resolver.resolve({"Ref": "Pool"})
    assert pool_id.startswith("eu-west-1_")
    assert pool_id == _resolver().resolve({"Ref": "Pool"})
    assert (
        resolver.resolve({"Fn::GetAtt": ["Pool", "ProviderURL"]})
        == f"https://cognito-idp.eu-west-1.amazonaws.com/{pool_id}"
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ({"Ref": "Missing"}, "unknown 'Missing'"),
        ({"Ref": "NoDefault"}, "no default"),
        ({"Fn::GetAtt": ["Thing", "TopicName"]}, "no local value"),
        ({"Fn::Transform": {}}, "cannot evaluate Fn::Transform"),
        ({"Fn::ImportValue": "nobody-exports-this"}, "nobody-exports-this"),
    ],
)
def test_what_cannot_be_resolved_fails_with_a_message_naming_it(expression: Any, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        _resolver().resolve(expression, where="Stack/Resource")
