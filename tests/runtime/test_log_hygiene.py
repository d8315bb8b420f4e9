"""The handler never logs the Lambda event, which carries the caller's token and the request body.

Powertools' logger logs every event when ``POWERTOOLS_LOGGER_LOG_EVENT`` is true, a variable anyone
may add to a function's configuration while debugging; the handler decides once, at import, so the
check runs the real handler in a fresh interpreter with that variable set and the logger at DEBUG.
(The items flow through the emulated stage, with every library's loggers, is in
``tests/service/test_log_hygiene.py``.)
"""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.runtime.lambda_process import Invocation, process_environment, run_in_fresh_process
from tests.support.apigw import http_api_event


def test_the_event_is_not_logged_even_when_powertools_is_told_to(tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    event = http_api_event("POST", "/items", sub=f"hygiene-{marker}", body={"name": f"name-{marker}"})
    token = event["headers"]["authorization"].removeprefix("Bearer ")

    run = run_in_fresh_process(
        [Invocation(event)],
        environ=process_environment(
            POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_LOGGER_LOG_EVENT="true", POWERTOOLS_LOG_LEVEL="DEBUG"
        ),
        scratch=tmp_path,
    )

    assert [response.status for response in run.responses] == [201]
    assert "ItemsCreated" in run.stdout, "the child's output must be captured"
    assert token not in run.stdout + run.stderr
    assert f"name-{marker}" not in run.stdout + run.stderr
