"""Property-based fuzzing of the service against its own OpenAPI document, with schemathesis.

The document is the one the deployed function serves at ``/openapi.json``; every generated request
goes over HTTP through the emulated API Gateway (JWT authorizer, payload 2.0) to the deployed code in
its Lambda-like environments, signed in as one fuzzing user. Generation is derandomized, so a run is
reproducible; ``FUZZ_SCALE`` (``make fuzz-deep``: 10) multiplies the number of examples.

- Stateless: for each operation, valid (positive) and invalid (negative) requests.
- Stateful: schemathesis chains operations through links (create an item, then read, replace, delete
  it with the id and ETag from the answer; the links are added to the test's copy of the document,
  :func:`with_item_links`) and checks every step.

Checks: no 5xx, status codes, content types, headers and bodies as documented, and every invalid
request refused with a 4xx.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.hardening.conftest import Figures
from tests.support.local_api import RunningApi

SCALE = int(os.environ.get("FUZZ_SCALE", "1"))
EXAMPLES_PER_OPERATION_AND_MODE = 120 * SCALE
STATEFUL_SCENARIOS = 50 * SCALE
STEPS_PER_SCENARIO = 10
MAX_SUITES = 50 * SCALE
MINIMUM_REQUESTS = 1_000 * SCALE
OPERATIONS_WITHOUT_INVALID_INPUT = {"GET /health", "GET /items/{item_id}", "DELETE /items/{item_id}"}
"""Operations for which schemathesis can make no request that the document calls invalid."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def fuzz_settings(max_examples: int, *, derandomize: bool = True) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=derandomize,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate),
        report_multiple_bugs=False,
        stateful_step_count=STEPS_PER_SCENARIO,
    )


@dataclass
class Traffic:
    """Requests the fuzzer sent, by operation and answer, and every check that failed."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    answers: dict[tuple[str, int], int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def count(self, label: str, status: int) -> None:
        with self.lock:
            self.sent[label] = self.sent.get(label, 0) + 1
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.answers[(label, status)] = self.answers.get((label, status), 0) + 1

    def answers_since(self, earlier: Traffic) -> dict[tuple[str, int], int]:
        """How often each operation got each status after ``earlier`` was copied."""
        return {
            answer: count - earlier.answers.get(answer, 0)
            for answer, count in self.answers.items()
            if count > earlier.answers.get(answer, 0)
        }

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    def summary(self) -> str:
        answers = ", ".join(f"{count} x {status}" for status, count in sorted(self.statuses.items()))
        return f"{self.total} requests, {len(self.failures)} failures (answers: {answers})"


ITEM_PATH = "/items/{item_id}"
ITEM_LINKS = {"ReadItem": ("get", False), "ReplaceItem": ("put", True), "DeleteItem": ("delete", True)}
"""Links to each operation on one item: name -> (method, whether it sends the item's ETag as If-Match)."""
ANSWERS_WITH_AN_ITEM = (("post", "/items", "201"), ("get", ITEM_PATH, "200"), ("put", ITEM_PATH, "200"))
EXPLICIT_LINKS_ONLY = SchemathesisConfig.from_dict(
    {"phases": {"stateful": {"inference": {"algorithms": []}}}}
)
"""schemathesis' defaults, without link inference."""


def with_item_links(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with OpenAPI links from every answer that carries an item to the item's operations.

    The service's document declares no links, and those schemathesis infers fill ``If-Match`` with
    generated strings, which hardly ever match: replaces were refused (400, 428) before they reached
    an item. These pass the answer's ``id`` and ``ETag``, so chains really replace and delete; link
    inference is turned off (:data:`EXPLICIT_LINKS_ONLY`) so that every chain follows them.
    """
    operations = document["paths"][ITEM_PATH]
    links = {
        name: {
            "operationId": operations[method]["operationId"],
            "parameters": {
                "path.item_id": "$response.body#/id",
                **({"header.If-Match": "$response.header.ETag"} if sends_etag else {}),
            },
        }
        for name, (method, sends_etag) in ITEM_LINKS.items()
    }
    for method, path, status in ANSWERS_WITH_AN_ITEM:
        document["paths"][path][method]["responses"][status]["links"] = links
    return document


@pytest.fixture(scope="module")
def contract(hardened_api: RunningApi) -> Any:
    """The OpenAPI document the deployed function serves, with item links, loaded by schemathesis."""
    document = hardened_api.client.get("/openapi.json").json()
    return schemathesis.openapi.from_dict(with_item_links(document), config=EXPLICIT_LINKS_ONLY)


@pytest.fixture(scope="module")
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture(scope="module")
def fuzzer(hardened_api: RunningApi, traffic: Traffic) -> Iterator[Callable[[Any], Any]]:
    """Send a generated case as the fuzzing user and run every check on the answer.

    A failed check is recorded before it is raised, so that it counts even when Hypothesis, replaying
    a scenario against a server whose state moved on, cannot reproduce it.
    """
    session = requests.Session()
    headers = hardened_api.auth("fuzzer")

    def send(case: Any) -> Any:
        response = case.call(base_url=hardened_api.emulator.url, session=session, headers=headers)
        traffic.count(f"{case.operation.method.upper()} {case.operation.path}", response.status_code)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as failure:
            traffic.failures.append(f"{case.operation.label}: {failure}")
            raise
        return response

    yield send
    session.close()


def test_stateless_fuzzing_finds_no_failure(contract: Any, fuzzer: Any, traffic: Traffic) -> None:
    operations = [result.ok() for result in contract.get_all_operations()]
    without_invalid_input = set()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @fuzz_settings(EXAMPLES_PER_OPERATION_AND_MODE)
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case: Any) -> None:
                fuzzer(case)

            try:
                fuzz()
            except hypothesis.errors.Unsatisfiable:
                if mode is GenerationMode.POSITIVE:
                    raise
                without_invalid_input.add(operation.label)

    assert traffic.failures == []
    assert without_invalid_input == OPERATIONS_WITHOUT_INVALID_INPUT
    assert {label.split(" ", 1)[1] for label in traffic.sent} == {"/health", "/items", "/items/{item_id}"}


def test_stateful_fuzzing_finds_no_failure(
    contract: Any, fuzzer: Any, traffic: Traffic, figures: Figures
) -> None:
    stateless = Traffic(
        sent=dict(traffic.sent), statuses=dict(traffic.statuses), answers=dict(traffic.answers)
    )
    scenarios = 0

    class Scenarios(contract.as_state_machine()):  # type: ignore[misc]
        def call(self, case: Any, **kwargs: Any) -> Any:
            return fuzzer(case)

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            """Already validated by ``fuzzer``, with the suite's checks."""

        def teardown(self) -> None:
            nonlocal scenarios
            scenarios += 1
            super().teardown()

    for suite in range(MAX_SUITES):
        if scenarios >= STATEFUL_SCENARIOS:
            break
        # The server's answers steer which rules can run: a replayed prefix that meets different answers,
        # or a run of rules whose preconditions never hold, ends the suite (schemathesis' own runner does
        # the same), and a suite with a new seed goes on. Failed checks are in ``traffic.failures``.
        with contextlib.suppress(hypothesis.errors.FlakyStrategyDefinition, hypothesis.errors.Unsatisfiable):
            hypothesis.seed(suite)(Scenarios).run(
                settings=fuzz_settings(STATEFUL_SCENARIOS - scenarios, derandomize=False)
            )

    assert traffic.failures == []
    assert scenarios >= STATEFUL_SCENARIOS
    stateful_answers = traffic.answers_since(stateless)
    # Linked steps reached items that existed: a replace and a delete of one succeeded.
    assert stateful_answers.get(("PUT /items/{item_id}", 200), 0) > 0, stateful_answers
    assert stateful_answers.get(("DELETE /items/{item_id}", 204), 0) > 0, stateful_answers
    assert traffic.total >= MINIMUM_REQUESTS
    stateful_requests = traffic.total - stateless.total
    figures.record("fuzzing, stateless (6 operations, valid and invalid input)", stateless.summary())
    figures.record(
        "fuzzing, stateful (linked create/read/replace/delete)",
        f"{scenarios} scenarios, {stateful_requests} requests, {len(traffic.failures)} failures "
        f"({stateful_answers[('PUT /items/{item_id}', 200)]} x PUT 200 and "
        f"{stateful_answers[('DELETE /items/{item_id}', 204)]} x DELETE 204 on created items)",
    )
    figures.record("fuzzing, total", traffic.summary())
