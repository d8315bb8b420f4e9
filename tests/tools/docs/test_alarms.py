"""The alarm table of docs/safe-delivery.md: one row per alarm of the synthesized stages, each cell the
template's value, environments' differences spelled out."""

from __future__ import annotations

from typing import Any

import pytest

from tools.docs.alarms import alarm_table, merged
from tools.docs.pages import Sources


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "1", "1"], "1"),
        ([">= 5", ">= 2", ">= 1"], ">= 5 / 2 / 1"),
        (["IF(r >= 5, 1, 0)", "IF(r >= 10, 1, 0)"], "IF(r >= 5 / 10, 1, 0)"),
        (["rollback", "notify only"], "rollback / notify only"),
    ],
)
def test_values_are_merged_where_they_differ(values: list[str], expected: str) -> None:
    assert merged(values) == expected


def test_whole_values_are_kept_together_when_asked() -> None:
    assert merged(["1 of 2", "2 of 3"], in_place=False) == "1 of 2 / 2 of 3"


def alarm(name: str, threshold: float) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Metadata": {"aws:cdk:path": "x/Stateless/Canary/Errors/Resource"},
        "Properties": {
            "AlarmName": name,
            "AlarmDescription": f"Errors of the new version >= {threshold:g}.",
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "DatapointsToAlarm": 1,
            "EvaluationPeriods": 2,
            "Period": 60,
            "Namespace": "AWS/Lambda",
            "MetricName": "Errors",
            "Statistic": "Sum",
            "Dimensions": [
                {"Name": "FunctionName", "Value": {"Ref": "Fn"}},
                {"Name": "Stage", "Value": "live"},
            ],
            "Threshold": threshold,
        },
    }


def stage(environment: str, threshold: float) -> dict[str, Any]:
    group = {
        "Type": "AWS::CodeDeploy::DeploymentGroup",
        "Properties": {"AlarmConfiguration": {"Alarms": [{"Name": {"Ref": "Errors"}}]}},
    }
    resources = {"Errors": alarm(f"svc-{environment}-errors", threshold), "Group": group}
    return {f"{environment}-Stateless": {"Resources": resources}}


def test_a_row_states_the_templates_values_per_environment() -> None:
    table = alarm_table({"dev": stage("dev", 1), "prod": stage("prod", 2)})

    assert table.splitlines()[4:] == [
        "| `svc-<env>-errors` | rollback | `AWS/Lambda` `Errors` Sum by FunctionName, Stage=live | >= 1 / 2 "
        "| 1 of 2 x 60 s | Errors of the new version >= 1 / 2. |"
    ]
    assert "dev / prod" in table.splitlines()[0]


def test_an_alarm_missing_from_an_environment_is_refused() -> None:
    other = stage("prod", 2)
    other["prod-Stateless"]["Resources"]["Errors"]["Metadata"]["aws:cdk:path"] = "x/Stateless/Other/Resource"

    with pytest.raises(ValueError, match="not in every environment"):
        alarm_table({"dev": stage("dev", 1), "prod": other})


def test_every_alarm_of_the_app_has_its_row_and_its_role(docs_sources: Sources) -> None:
    table = alarm_table(docs_sources.stages)
    rows = {line.split(" | ")[0].strip("| `"): line.split(" | ")[1] for line in table.splitlines()[4:]}

    for environment, templates in docs_sources.stages.items():
        resources = {k: v for template in templates.values() for k, v in template["Resources"].items()}
        rollback = {
            alarm["Name"]["Ref"]
            for resource in resources.values()
            if resource["Type"] == "AWS::CodeDeploy::DeploymentGroup"
            for alarm in resource["Properties"]["AlarmConfiguration"]["Alarms"]
        }
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::CloudWatch::Alarm":
                name = resource["Properties"]["AlarmName"].replace(f"-{environment}-", "-<env>-", 1)
                assert rows[name] == ("rollback" if logical_id in rollback else "notify only"), name
    assert "rollback" in rows.values()
    assert "notify only" in rows.values()
