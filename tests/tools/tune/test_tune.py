"""``make tune``: the Lambda calls are stubbed (botocore ``Stubber``: no AWS account here), the code is real.

The stubs answer in the shapes botocore's Lambda and CloudFormation models validate: the function's
configuration, the memory updates (and the waiter's polls), and invocations whose log tail carries a
``platform.report`` record with a billed duration, as a function logging JSON returns it.
"""

from __future__ import annotations

import base64
import json

import pytest
from botocore.stub import ANY

from tests.support.aws_stubs import StubbedSession, activated
from tests.support.cdk_synthesis import SynthesizedApp
from tools.tune.__main__ import SizeResult, TuneError, billed_ms, main, table, tune

FUNCTION = "items-dev-api"


def report_tail(billed: float) -> str:
    record = {
        "type": "platform.report",
        "record": {"metrics": {"durationMs": billed - 0.4, "billedDurationMs": billed}},
    }
    return base64.b64encode(json.dumps(record).encode()).decode()


def set_memory(session: StubbedSession, memory_mb: int) -> None:
    lambda_ = session.stub("lambda")
    lambda_.add_response(
        "update_function_configuration",
        {"FunctionName": FUNCTION, "MemorySize": memory_mb},
        {"FunctionName": FUNCTION, "MemorySize": memory_mb},
    )
    lambda_.add_response(
        "get_function_configuration",
        {"FunctionName": FUNCTION, "MemorySize": memory_mb, "LastUpdateStatus": "Successful"},
        {"FunctionName": FUNCTION},
    )


def invoked(session: StubbedSession, billed: float) -> None:
    session.stub("lambda").add_response(
        "invoke",
        {"StatusCode": 200, "LogResult": report_tail(billed)},
        {"FunctionName": FUNCTION, "Payload": ANY, "LogType": "Tail"},
    )


@pytest.fixture
def session() -> StubbedSession:
    return StubbedSession()


def test_each_size_is_set_invoked_cold_then_warm_and_the_memory_is_restored(session: StubbedSession) -> None:
    lambda_ = session.stub("lambda")
    lambda_.add_response("get_function_configuration", {"MemorySize": 1024}, {"FunctionName": FUNCTION})
    for memory_mb, cold, warm in ((512, 900.0, (40.0, 42.0, 38.0)), (1024, 480.0, (20.0, 21.0, 19.0))):
        set_memory(session, memory_mb)
        invoked(session, cold)
        for billed in warm:
            invoked(session, billed)
    set_memory(session, 1024)

    with activated(session):
        results = tune(session.client("lambda"), FUNCTION, [512, 1024], invocations=3)

    assert [(r.memory_mb, r.cold_billed_ms, r.warm_median_ms) for r in results] == [
        (512, 900, 40),
        (1024, 480, 20),
    ]
    assert "| 1024 | 480 | 20 | 21 |" in table(results)


def test_the_original_memory_comes_back_when_an_invocation_fails(session: StubbedSession) -> None:
    lambda_ = session.stub("lambda")
    lambda_.add_response("get_function_configuration", {"MemorySize": 512}, {"FunctionName": FUNCTION})
    set_memory(session, 256)
    lambda_.add_response(
        "invoke",
        {"StatusCode": 200, "FunctionError": "Unhandled", "LogResult": report_tail(3.0)},
        {"FunctionName": FUNCTION, "Payload": ANY, "LogType": "Tail"},
    )
    set_memory(session, 512)

    with activated(session), pytest.raises(TuneError, match="Unhandled"):
        tune(session.client("lambda"), FUNCTION, [256], invocations=1)


def test_billed_duration_is_read_from_json_or_text_reports() -> None:
    assert billed_ms(report_tail(17.0)) == 17.0
    text = "START RequestId: x\nREPORT RequestId: x\tDuration: 11.20 ms\tBilled Duration: 12 ms\n"
    assert billed_ms(base64.b64encode(text.encode()).decode()) == 12.0
    with pytest.raises(TuneError, match="system log level"):
        billed_ms(base64.b64encode(b"START RequestId: x\n").decode())


def test_the_cheapest_size_is_marked() -> None:
    results = [SizeResult(256, 1500, (80.0,)), SizeResult(1024, 500, (15.0,))]

    assert table(results).splitlines()[-1].endswith("cheapest")


def test_main_finds_the_aliased_function_of_the_deployed_stack(
    synthesized_app: SynthesizedApp, session: StubbedSession, capsys: pytest.CaptureFixture[str]
) -> None:
    session.stub("cloudformation").add_response(
        "describe_stack_resource",
        {
            "StackResourceDetail": {
                "LogicalResourceId": "ApiFunction",
                "PhysicalResourceId": FUNCTION,
                "ResourceType": "AWS::Lambda::Function",
                "LastUpdatedTimestamp": "2026-01-01T00:00:00Z",
                "ResourceStatus": "UPDATE_COMPLETE",
            }
        },
        {"StackName": ANY, "LogicalResourceId": ANY},
    )
    lambda_ = session.stub("lambda")
    lambda_.add_response("get_function_configuration", {"MemorySize": 512}, {"FunctionName": FUNCTION})
    set_memory(session, 1024)
    invoked(session, 300.0)
    invoked(session, 9.0)
    set_memory(session, 512)

    with activated(session):
        code = main(
            ["dev", "--assembly", str(synthesized_app.outdir), "--sizes", "1024", "--invocations", "1"],
            session=session,
        )

    assert code == 0
    assert f"{FUNCTION}: billed durations" in capsys.readouterr().out
