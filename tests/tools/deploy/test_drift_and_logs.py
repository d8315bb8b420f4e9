"""``make drift`` and ``make logs`` against stubbed CloudFormation, CloudWatch Logs and STS replies.

moto implements neither drift detection nor log filtering as AWS does, so the AWS replies are stubbed
(botocore ``Stubber``, which validates them against the service models) and the real code runs over the
real synthesized dev stage. Without credentials both refuse before any other call, like ``make deploy``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.aws_stubs import StubbedSession, activated
from tests.support.cdk_synthesis import SynthesizedApp, logical_id
from tools.deploy import drift, logs
from tools.deploy.logs import render, tail

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def in_sync(session: StubbedSession, stack_name: str, detection: str) -> None:
    cloudformation = session.stub("cloudformation")
    cloudformation.add_response(
        "detect_stack_drift", {"StackDriftDetectionId": detection}, {"StackName": stack_name}
    )
    cloudformation.add_response(
        "describe_stack_drift_detection_status",
        {
            "StackId": f"arn:aws:cloudformation:eu-west-1:123456789012:stack/{stack_name}/1",
            "StackDriftDetectionId": detection,
            "StackDriftStatus": "IN_SYNC",
            "DetectionStatus": "DETECTION_COMPLETE",
            "Timestamp": NOW,
        },
        {"StackDriftDetectionId": detection},
    )


def drifted(session: StubbedSession, stack_name: str) -> None:
    cloudformation = session.stub("cloudformation")
    cloudformation.add_response(
        "detect_stack_drift", {"StackDriftDetectionId": "d-2"}, {"StackName": stack_name}
    )
    status = {
        "StackId": f"arn:aws:cloudformation:eu-west-1:123456789012:stack/{stack_name}/1",
        "StackDriftDetectionId": "d-2",
        "Timestamp": NOW,
    }
    cloudformation.add_response(
        "describe_stack_drift_detection_status",
        {**status, "DetectionStatus": "DETECTION_IN_PROGRESS"},
        {"StackDriftDetectionId": "d-2"},
    )
    cloudformation.add_response(
        "describe_stack_drift_detection_status",
        {**status, "DetectionStatus": "DETECTION_COMPLETE", "StackDriftStatus": "DRIFTED"},
        {"StackDriftDetectionId": "d-2"},
    )
    cloudformation.add_response(
        "describe_stack_resource_drifts",
        {
            "StackResourceDrifts": [
                {
                    "StackId": status["StackId"],
                    "LogicalResourceId": "ApiFunction6BF808ED",
                    "PhysicalResourceId": "items-dev-api",
                    "ResourceType": "AWS::Lambda::Function",
                    "StackResourceDriftStatus": "MODIFIED",
                    "Timestamp": NOW,
                    "PropertyDifferences": [
                        {
                            "PropertyPath": "/MemorySize",
                            "ExpectedValue": "1024",
                            "ActualValue": "2048",
                            "DifferenceType": "NOT_EQUAL",
                        }
                    ],
                }
            ]
        },
        {"StackName": stack_name, "StackResourceDriftStatusFilters": ["MODIFIED", "DELETED"]},
    )


def run_drift(synthesized_app: SynthesizedApp, session: StubbedSession) -> int:
    with activated(session):
        return drift.main(["dev", "--assembly", str(synthesized_app.outdir)], session=session.as_session)


def test_an_environment_in_sync_exits_zero(
    synthesized_app: SynthesizedApp, capsys: pytest.CaptureFixture[str]
) -> None:
    session = StubbedSession().signed_in()
    in_sync(session, "dev-Stateful", "d-1")
    in_sync(session, "dev-Stateless", "d-3")

    assert run_drift(synthesized_app, session) == 0

    out = capsys.readouterr().out
    assert "dev/Stateful (dev-Stateful): IN_SYNC" in out
    assert "every stack matches its template" in out


def test_drift_names_the_resource_and_the_property_and_exits_non_zero(
    synthesized_app: SynthesizedApp, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tools.deploy.drift.time.sleep", lambda _: None)
    session = StubbedSession().signed_in()
    in_sync(session, "dev-Stateful", "d-1")
    drifted(session, "dev-Stateless")

    assert run_drift(synthesized_app, session) == drift.EXIT_DRIFTED

    out = capsys.readouterr().out
    assert "dev/Stateless (dev-Stateless): DRIFTED, 1 resource(s)" in out
    assert "MODIFIED  ApiFunction6BF808ED (AWS::Lambda::Function) items-dev-api" in out
    assert "MemorySize changed: expected 1024, actual 2048" in out


@pytest.mark.usefixtures("no_credentials")
@pytest.mark.parametrize("tool", [drift, logs])
def test_without_credentials_both_refuse_and_say_how_to_sign_in(
    synthesized_app: SynthesizedApp, capsys: pytest.CaptureFixture[str], tool: object
) -> None:
    assert tool.main(["dev", "--assembly", str(synthesized_app.outdir)]) == 2  # type: ignore[attr-defined]

    error = capsys.readouterr().err
    assert "no AWS credentials found" in error
    assert "aws sso login" in error


POWERTOOLS = {
    "level": "INFO",
    "location": "create_item:42",
    "message": "item created",
    "timestamp": "2026-12-04 15:00:01,123+0000",
    "service": "items",
    "cold_start": False,
    "function_request_id": "c0ffee-1",
    "xray_trace_id": "1-abc",
    "item_id": "i-7",
    "attempt": 2,
}


def test_a_powertools_record_is_one_readable_line() -> None:
    assert render(json.dumps(POWERTOOLS)) == (
        "2026-12-04 15:00:01,123+0000 INFO  [c0ffee-1] item created item_id=i-7 attempt=2"
    )


def test_metric_platform_and_plain_records_are_shortened_or_kept() -> None:
    emf = {
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [{"Namespace": "Items", "Metrics": [{"Name": "ItemCreated"}]}],
        },
        "ItemCreated": 1,
    }
    platform = {
        "time": "2026-12-04T15:00:00Z",
        "type": "platform.report",
        "record": {"requestId": "c0ffee-1"},
    }

    assert render(json.dumps(emf)) == "METRIC ItemCreated=1"
    assert render(json.dumps(platform)) == "2026-12-04T15:00:00Z platform.report c0ffee-1"
    assert render("START RequestId: c0ffee-1\n") == "START RequestId: c0ffee-1"


def log_group_of_dev(synthesized_app: SynthesizedApp, session: StubbedSession) -> str:
    stateless = synthesized_app.stages["dev"].stateless
    group_id = logical_id(stateless.service.api_function.log_group)
    session.stub("cloudformation").add_response(
        "describe_stack_resource",
        {
            "StackResourceDetail": {
                "LogicalResourceId": group_id,
                "PhysicalResourceId": "dev-Stateless-ApiLogGroup-XYZ",
                "ResourceType": "AWS::Logs::LogGroup",
                "LastUpdatedTimestamp": NOW,
                "ResourceStatus": "CREATE_COMPLETE",
            }
        },
        {"StackName": "dev-Stateless", "LogicalResourceId": group_id},
    )
    return "dev-Stateless-ApiLogGroup-XYZ"


def test_logs_of_one_request_are_filtered_and_rendered(
    synthesized_app: SynthesizedApp, capsys: pytest.CaptureFixture[str]
) -> None:
    session = StubbedSession().signed_in()
    group = log_group_of_dev(synthesized_app, session)
    session.stub("logs").add_response(
        "filter_log_events",
        {"events": [{"eventId": "e1", "timestamp": 1, "message": json.dumps(POWERTOOLS)}], "nextToken": "n"},
        {"logGroupName": group, "startTime": pytest.approx(0, abs=10**13), "filterPattern": '"c0ffee-1"'},
    )
    session.stub("logs").add_response(
        "filter_log_events",
        {"events": [{"eventId": "e2", "timestamp": 2, "message": "END RequestId: c0ffee-1"}]},
        {
            "logGroupName": group,
            "startTime": pytest.approx(0, abs=10**13),
            "filterPattern": '"c0ffee-1"',
            "nextToken": "n",
        },
    )

    with activated(session):
        code = logs.main(
            ["dev", "--assembly", str(synthesized_app.outdir), "--request-id", "c0ffee-1", "--since", "1h"],
            session=session.as_session,
        )

    assert code == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "2026-12-04 15:00:01,123+0000 INFO  [c0ffee-1] item created item_id=i-7 attempt=2",
        "END RequestId: c0ffee-1",
    ]
    assert f"logs: {group} since" in captured.err


def test_following_prints_each_event_once(tmp_path: Path) -> None:
    session = StubbedSession()
    start = NOW
    first = {"eventId": "e1", "timestamp": int(NOW.timestamp() * 1000) + 5, "message": "one"}
    second = {"eventId": "e2", "timestamp": int(NOW.timestamp() * 1000) + 9, "message": "two"}
    session.stub("logs").add_response("filter_log_events", {"events": [first]})
    session.stub("logs").add_response("filter_log_events", {"events": [first, second]})
    printed: list[str] = []

    with activated(session):
        count = tail(
            session.as_session,
            "g",
            start,
            None,
            follow=True,
            write=printed.append,
            sleep=lambda _: None,
            polls=2,
        )

    assert printed == ["one", "two"]
    assert count == 2


@pytest.mark.parametrize(
    ("argument", "message"),
    [(["--request-id", '" || x'], "expected letters, digits and dashes"), (["--since", "yesterday"], "10m")],
)
def test_bad_arguments_are_refused_before_any_aws_call(
    synthesized_app: SynthesizedApp, capsys: pytest.CaptureFixture[str], argument: list[str], message: str
) -> None:
    session = StubbedSession()
    with activated(session):
        code = logs.main(
            ["dev", "--assembly", str(synthesized_app.outdir), *argument], session=session.as_session
        )

    assert code == logs.EXIT_PREFLIGHT
    assert message in capsys.readouterr().err
