"""Property-based fuzzing of the service against its own OpenAPI document, with schemathesis.

The document is the one the deployed function serves at ``/openapi.json``; every generated request
goes over HTTP through the emulated API Gateway to the deployed code, with the dev stage exactly as
configured: JWT authorizer, payload 2.0, the stage's throttle (20 requests/s, burst 40) and the
function's reserved concurrency. Throttled requests are answers like any other: API Gateway's 429,
which the document lists and which is checked like every answer; after one, the fuzzer waits a second
for the stage's bucket to refill, as a client should. Generation is derandomized, so a run is
reproducible; ``FUZZ_SCALE`` (``make fuzz-deep``: 10) multiplies the number of examples.

- Stateless: for each operation, valid (positive) and invalid (negative) requests.
- Stateful: schemathesis chains operations through links (create an item, then read, replace, delete
  it with the id and ETag from the answer; the links are added to the test's copy of the document,
  :func:`with_item_links`) and checks every step.

Checks: every check schemathesis has (:data:`CHECKS`). Valid requests must be accepted; the only
refusals of valid data allowed are those that depend on what the server holds, which no schema can
express, as schemathesis itself allows 404 and 409: a well-formed cursor the service never issued to
the caller (400 ``invalid_cursor``), an Idempotency-Key the caller already used with another body
(422 ``idempotency_key_reused``), and an If-Match naming only ETags the item no longer has (412, e.g. a
link from the create's answer followed after a replace). The fuzzer knows each from what it sent and
received (:class:`Traffic`), so each such refusal is verified, not assumed. The ignored-auth check's
probes are sent again when the stage throttled them (:func:`enforces_auth`).
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as CHECK_REGISTRY
from schemathesis.checks import load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.openapi.checks import IgnoredAuth
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from runtime.cursors import CURSOR_PATTERN
from tests.service.conftest import Figures
from tests.support.local_api import RunningApi

SCALE = int(os.environ.get("FUZZ_SCALE", "1"))
EXAMPLES_PER_OPERATION_AND_MODE = 90 * SCALE
STATEFUL_SCENARIOS = 50 * SCALE
STEPS_PER_SCENARIO = 10
MAX_SUITES = 50 * SCALE
MINIMUM_REQUESTS = 1_000 * SCALE
OPERATIONS_WITHOUT_INVALID_INPUT = {"GET /health"}
"""Operations for which schemathesis can make no request that the document calls invalid (the others
have a body, a token, an id of a stated format or query parameters)."""
THROTTLE_PAUSE_SECONDS = 1.0
PROBES_PER_CHECK = 3


def enforces_auth(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' ignored-auth check, whose probes (the request again, without a token or with a bad
    one) may meet the stage's throttle: a throttled probe says nothing about auth, so it is sent again
    once the stage's bucket has refilled."""
    for probe in range(PROBES_PER_CHECK):
        try:
            result: bool | None = ignored_auth(ctx, response, case)
        except IgnoredAuth as failure:
            if "`429 " not in failure.message or probe == PROBES_PER_CHECK - 1:
                raise
            time.sleep(THROTTLE_PAUSE_SECONDS)
        else:
            return result
    return None


load_all_checks()
CHECKS = [
    check for check in CHECK_REGISTRY.get_all() if check not in (positive_data_acceptance, ignored_auth)
] + [enforces_auth]
"""All of schemathesis' checks (the ignored-auth probes retried when throttled); positive-data
acceptance runs through :func:`accepts_positive_data`."""


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
    issued_cursors: set[str] = field(default_factory=set)
    idempotent_bodies: dict[str, Any] = field(default_factory=dict)
    """The body each Idempotency-Key the service accepted was first sent with."""
    current_etags: dict[str, str | None] = field(default_factory=dict)
    """Each item's ETag in the service's last answer about it (None once deleted)."""
    state_refusals: dict[str, int] = field(default_factory=dict)

    def remember(self, case: Any, response: requests.Response) -> None:
        """What the service now holds for the caller: cursors it issued, keys it stored, item versions."""
        if response.status_code == 200 and case.operation.path == "/items":
            cursor = response.json().get("next_cursor")
            if cursor:
                self.issued_cursors.add(cursor)
        key = (case.headers or {}).get("Idempotency-Key")
        if response.status_code == 201 and key is not None:
            self.idempotent_bodies.setdefault(key, case.body)
        if (
            response.status_code in (200, 201)
            and isinstance(response.json(), dict)
            and "id" in response.json()
        ):
            self.current_etags[response.json()["id"]] = response.headers.get("ETag")
        if response.status_code == 204:
            self.current_etags[(case.path_parameters or {})["item_id"]] = None

    def refused_for_state(self, case: Any, response: Any) -> bool:
        """A valid request refused because of what the server holds, as the fuzzer's records show: a
        cursor of the documented format the service never issued, a key it stored with another body, an
        If-Match naming an ETag the item no longer has."""
        try:
            body = response.json()
        except ValueError:
            return False
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        cursor = (case.query or {}).get("cursor")
        key = (case.headers or {}).get("Idempotency-Key")
        explained = (
            (
                response.status_code == 400
                and code == "invalid_cursor"
                and isinstance(cursor, str)
                and re.fullmatch(CURSOR_PATTERN, cursor) is not None
                and cursor not in self.issued_cursors
            )
            or (
                response.status_code == 412
                and code == "precondition_failed"
                and self._names_no_current_etag(case)
            )
            or (
                response.status_code == 422
                and code == "idempotency_key_reused"
                and key in self.idempotent_bodies
                and self.idempotent_bodies[key] != case.body
            )
        )
        if explained:
            with self.lock:
                self.state_refusals[str(code)] = self.state_refusals.get(str(code), 0) + 1
        return explained

    def _names_no_current_etag(self, case: Any) -> bool:
        """The case's If-Match lists only ETags the item no longer has (or never had)."""
        sent = (case.headers or {}).get("If-Match", "")
        current = self.current_etags.get((case.path_parameters or {}).get("item_id", ""))
        return sent.strip() != "*" and current not in {tag.strip() for tag in sent.split(",")}

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
FUZZING_USER = "fuzzer"


def fuzzing_config(token: str) -> SchemathesisConfig:
    """schemathesis' defaults, signed in with ``token`` for the document's bearer scheme (so that its
    invalid-input cases can leave the token out), without link inference."""
    return SchemathesisConfig.from_dict(
        {
            "auth": {"openapi": {"bearerAuth": {"bearer": token}}},
            "phases": {"stateful": {"inference": {"algorithms": []}}},
        }
    )


def with_item_links(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with OpenAPI links from every answer that carries an item to the item's operations.

    The service's document declares no links, and those schemathesis infers fill ``If-Match`` with
    generated strings, which hardly ever match: replaces were refused (400, 428) before they reached
    an item. These pass the answer's ``id`` and ``ETag``, so chains really replace and delete; link
    inference is turned off (:func:`fuzzing_config`) so that every chain follows them.
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
def contract(configured_api: RunningApi) -> Any:
    """The OpenAPI document the deployed function serves, with item links, loaded by schemathesis."""
    document = configured_api.client.get("/openapi.json").json()
    config = fuzzing_config(configured_api.token(FUZZING_USER))
    return schemathesis.openapi.from_dict(with_item_links(document), config=config)


@pytest.fixture(scope="module")
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture(scope="module")
def fuzzer(configured_api: RunningApi, traffic: Traffic) -> Iterator[Callable[[Any], Any]]:
    """Send a generated case (as the fuzzing user, unless it leaves the token out) and run every check.

    A failed check is recorded before it is raised, so that it counts even when Hypothesis, replaying
    a scenario against a server whose state moved on, cannot reproduce it.
    """
    session = requests.Session()

    def accepts_positive_data(ctx: Any, response: Any, case: Any) -> bool | None:
        """schemathesis' positive-data acceptance, less what :meth:`Traffic.refused_for_state` explains."""
        if traffic.refused_for_state(case, response):
            return None
        result: bool | None = positive_data_acceptance(ctx, response, case)
        return result

    def send(case: Any) -> Any:
        response = case.call(base_url=configured_api.emulator.url, session=session)
        traffic.count(f"{case.operation.method.upper()} {case.operation.path}", response.status_code)
        try:
            case.validate_response(response, checks=[*CHECKS, accepts_positive_data])
        except Exception as failure:
            traffic.failures.append(f"{case.operation.label}: {failure}")
            raise
        finally:
            traffic.remember(case, response)
            if response.status_code == 429:
                time.sleep(THROTTLE_PAUSE_SECONDS)
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
    figures.record(
        "fuzzing, valid requests refused for the server's state (checked against the fuzzer's records)",
        ", ".join(f"{count} x {code}" for code, count in sorted(traffic.state_refusals.items())) or "none",
    )
