"""The alarm table of docs/safe-delivery.md, from the synthesized templates of every environment.

Each row is one alarm; a cell whose value differs between environments gives each environment's value in
the order of the stages passed (dev / staging / prod), numbers merged in place where the rest of the text
is the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from tools.diagram.graph import Templates
from tools.docs.markdown import plain_cell

OPERATORS = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}
CODE_COLUMNS = (0, 2)
"""The ``alarm`` and ``metric`` cells, written with code spans."""
WINDOW_COLUMN = 4
"""The ``datapoints`` cell: its two numbers belong together, so environments differ as whole values."""
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def merged(values: Sequence[str], *, in_place: bool = True) -> str:
    """One value when all are equal; else (``in_place``) each number that differs as ``a / b / c`` in the
    shared text; else the whole values joined with `` / ``."""
    if len(set(values)) == 1:
        return values[0]
    if not in_place:
        return " / ".join(values)
    skeletons = {_NUMBER.sub("#", value) for value in values}
    numbers = [_NUMBER.findall(value) for value in values]
    if len(skeletons) != 1:
        return " / ".join(values)
    pieces = _NUMBER.split(values[0])
    out = [pieces[0]]
    for index, piece in enumerate(pieces[1:]):
        column = [found[index] for found in numbers]
        out.append(column[0] if len(set(column)) == 1 else " / ".join(column))
        out.append(piece)
    return "".join(out)


def _metric(stat: Mapping[str, Any], dimensions: Sequence[Mapping[str, Any]]) -> str:
    by = ", ".join(_dimension(dimension) for dimension in dimensions)
    return f"`{stat['Namespace']}` `{stat['MetricName']}` {stat['Statistic']}" + (f" by {by}" if by else "")


def _dimension(dimension: Mapping[str, Any]) -> str:
    """``Name=value`` for a fixed value, ``Name`` for one the template resolves; several fixed values
    (metrics grouped by :func:`metric_text`) as ``Name in (a, b)``."""
    values = dimension["Value"]
    if isinstance(values, str):
        return f"{dimension['Name']}={values}"
    if isinstance(values, list):
        return f"{dimension['Name']} in ({', '.join(values)})"
    return str(dimension["Name"])


def metric_text(properties: Mapping[str, Any]) -> str:
    """What the alarm watches: its metric, or its math expression and the metrics the expression reads
    (metrics that differ only in a fixed dimension value are listed once, with every value)."""
    if "MetricName" in properties:
        statistic = properties.get("ExtendedStatistic") or properties["Statistic"]
        stat = {
            "Namespace": properties["Namespace"],
            "MetricName": properties["MetricName"],
            "Statistic": statistic,
        }
        return _metric(stat, properties.get("Dimensions", []))
    expression = next(
        metric["Expression"] for metric in properties["Metrics"] if metric.get("ReturnData", True)
    )
    groups: dict[tuple[Any, ...], tuple[list[str], list[dict[str, Any]]]] = {}
    for metric in properties["Metrics"]:
        if "MetricStat" not in metric:
            continue
        source = metric["MetricStat"]["Metric"]
        dimensions = source.get("Dimensions", [])
        identity = (source["Namespace"], source["MetricName"], metric["MetricStat"]["Stat"])
        fixed = tuple(
            (d["Name"], None if isinstance(d["Value"], str) else repr(d["Value"])) for d in dimensions
        )
        ids, merged_dimensions = groups.setdefault(
            (identity, fixed),
            (
                [],
                [
                    {"Name": d["Name"], "Value": [] if isinstance(d["Value"], str) else d["Value"]}
                    for d in dimensions
                ],
            ),
        )
        ids.append(metric["Id"])
        for into, dimension in zip(merged_dimensions, dimensions, strict=True):
            if isinstance(dimension["Value"], str):
                into["Value"].append(dimension["Value"])
    inputs = []
    for ((namespace, name, statistic), _), (ids, dimensions) in groups.items():
        for dimension in dimensions:
            if isinstance(dimension["Value"], list) and len(dimension["Value"]) == 1:
                dimension["Value"] = dimension["Value"][0]
        stat = {"Namespace": namespace, "MetricName": name, "Statistic": statistic}
        inputs.append(f"{', '.join(ids)} = {_metric(stat, dimensions)}")
    return f"`{expression}` of " + "; ".join(inputs)


def _rollback_alarms(templates: Templates) -> set[str]:
    names = set()
    for template in templates.values():
        for resource in template.get("Resources", {}).values():
            if resource["Type"] == "AWS::CodeDeploy::DeploymentGroup":
                alarms = resource["Properties"].get("AlarmConfiguration", {}).get("Alarms", [])
                names |= {alarm["Name"]["Ref"] for alarm in alarms if isinstance(alarm.get("Name"), dict)}
    return names


def _rows(environment: str, templates: Templates) -> dict[str, list[str]]:
    """``{construct path: cells}`` of every alarm of one environment's stage."""
    rollback = _rollback_alarms(templates)
    rows = {}
    for template in templates.values():
        for logical_id, resource in template.get("Resources", {}).items():
            if resource["Type"] != "AWS::CloudWatch::Alarm":
                continue
            properties = resource["Properties"]
            name = re.sub(
                rf"(?<![a-z0-9]){re.escape(environment)}(?![a-z0-9])",
                "<env>",
                properties["AlarmName"],
                count=1,
            )
            role = "rollback" if logical_id in rollback else "notify only"
            threshold = f"{OPERATORS[properties['ComparisonOperator']]} {properties['Threshold']:g}"
            points = properties.get("DatapointsToAlarm", properties["EvaluationPeriods"])
            period = properties.get("Period") or properties["Metrics"][-1]["MetricStat"]["Period"]
            window = f"{points} of {properties['EvaluationPeriods']} x {period} s"
            path = str(resource.get("Metadata", {}).get("aws:cdk:path", logical_id)).split("/", 2)[-1]
            rows[path] = [
                f"`{name}`",
                role,
                metric_text(properties),
                threshold,
                window,
                properties.get("AlarmDescription", ""),
            ]
    return rows


def _cell(column: int, text: str) -> str:
    """The name and metric cells hold code spans; the others are plain text."""
    return text.replace("|", "\\|") if column in CODE_COLUMNS else plain_cell(text)


def alarm_table(stages: Mapping[str, Templates]) -> str:
    """``stages``: ``{environment: its stage's templates}``, in the order the cells list them."""
    per_environment = [_rows(environment, templates) for environment, templates in stages.items()]
    paths = sorted(set().union(*per_environment))
    missing = [path for path in paths if any(path not in rows for rows in per_environment)]
    if missing:
        raise ValueError(f"alarms not in every environment: {', '.join(missing)}")
    order = " / ".join(stages)
    header = [
        f"Cells with several values give them as {order}. Periods are in seconds; an alarm trips when "
        "`datapoints` of the last evaluation periods breach.",
        "",
        "| alarm | on breach | metric | threshold | datapoints | description |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    body = []
    first = per_environment[0]
    for path in sorted(paths, key=lambda path: (first[path][1] != "rollback", first[path][0])):
        cells = [
            merged([rows[path][column] for rows in per_environment], in_place=column != WINDOW_COLUMN)
            for column in range(6)
        ]
        body.append("| " + " | ".join(_cell(column, cell) for column, cell in enumerate(cells)) + " |")
    return "\n".join(header + body)
