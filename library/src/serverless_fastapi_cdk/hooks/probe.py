"""What both deployment hooks run: the health check, then the service's own check, if it has one.

The health check is the same for every service: ``GET <health path>`` answers 200 with a JSON object
that, when the hooks know the field, names the version being deployed. The service's check
(:data:`ServiceCheck`, a module ``service_check`` bundled beside this one) goes on from there with
:data:`Call`, which budgets, times and judges every request the same way. How a request reaches the
service is the hook's business (:data:`Send`): the pre-traffic hook invokes the new version with payload
2.0 events, the post-traffic hook calls the HTTP API's stage URL.

Whatever a check creates it registers for cleanup (``undo``): when a step fails before the check has
removed it again, :func:`run` sends the undo request before re-raising. A failed cleanup is logged and
never hides the failure that made it necessary.

Standard library only: this module is part of the hooks' deployed asset.
"""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    """Sent as JSON with ``content-type: application/json``."""

    def encoded_body(self) -> bytes | None:
        return None if self.body is None else json.dumps(self.body).encode()

    def all_headers(self) -> dict[str, str]:
        headers = {"accept": "application/json", **{k.lower(): v for k, v in self.headers.items()}}
        if self.body is not None:
            headers["content-type"] = "application/json"
        return headers


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    """Lower-case names."""
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


Send = Callable[[Request], Response]
"""Delivers one request to the service and returns its answer; raises when there is no answer."""
Check = Callable[[Response], str | None]
"""A rule of the transport every answer must keep (say, CORS headers): the problem, or ``None``."""
Undo = Callable[[Response], "Request | None"]
"""From the answer to a request that created something, the request that removes it (or ``None``)."""


class Call(Protocol):
    """Sends one step's request within the budget and judges the answer's transport and speed."""

    def __call__(self, step: str, request: Request, *, undo: Undo | None = None) -> Response: ...


ServiceCheck = Callable[[Call, "Trip", Response], None]
"""A service's own check: steps through ``Call``, given the health answer; raises :class:`StepFailedError`."""
SERVICE_CHECK_MODULE = "service_check"


class StepFailedError(Exception):
    """A step of the round trip got an answer the contract does not allow (or none at all)."""

    def __init__(self, step: str, problem: str) -> None:
        super().__init__(f"step {step!r} failed: {problem}")
        self.step = step
        self.problem = problem


class OutOfTimeError(StepFailedError):
    """Not enough time left to run a step and still clean up and report."""


@dataclass
class Budget:
    """How long the hook may keep calling the service before it must stop, clean up and report.

    ``remaining_ms`` is the Lambda context's ``get_remaining_time_in_millis``; ``call_seconds`` is the worst
    case of one request (the service function's timeout plus connection overhead), ``report_seconds`` what
    reporting to CodeDeploy may take. A step starts only if it, one cleanup request and the report all fit
    in the time left, so the hook reports before Lambda stops it. ``slow_seconds`` is the longest a step
    after the first (which may meet a cold start) may take: a version that answers near its timeout fails.
    """

    remaining_ms: Callable[[], int]
    call_seconds: float
    report_seconds: float
    slow_seconds: float

    def start(self, step: str, *, cleanup_pending: bool) -> None:
        needed = self.call_seconds * (2 if cleanup_pending else 1) + self.report_seconds
        left = self.remaining_ms() / 1000
        if left < needed:
            raise OutOfTimeError(step, f"{left:.1f} s left, the step needs up to {needed:.1f} s")

    def allows_cleanup(self) -> bool:
        return self.remaining_ms() / 1000 >= self.call_seconds + self.report_seconds


@dataclass
class Trip:
    """What one run did: the steps that passed, and the request that undoes what it created, if anything."""

    passed: list[str] = field(default_factory=list)
    cleanup: Request | None = None


def load_service_check() -> ServiceCheck | None:
    """``run`` of the ``service_check`` module bundled beside the hooks, or ``None`` when there is none."""
    try:
        module = importlib.import_module(SERVICE_CHECK_MODULE)
    except ModuleNotFoundError as error:
        if error.name != SERVICE_CHECK_MODULE:
            raise
        return None
    check: ServiceCheck = module.run
    return check


def run(
    send: Send,
    *,
    health_path: str,
    version_field: str | None,
    expected_version: str,
    budget: Budget,
    trip: Trip | None = None,
    check: Check | None = None,
    service_check: ServiceCheck | None = None,
) -> Trip:
    """The health check, then ``service_check``; raise :class:`StepFailedError` at the first failing step.

    ``check``, when given, judges every answer of a step before the step's own checks.
    """
    trip = trip or Trip()

    def call(step: str, request: Request, *, undo: Undo | None = None) -> Response:
        budget.start(step, cleanup_pending=trip.cleanup is not None)
        started = time.monotonic()
        try:
            response = send(request)
        except Exception as error:
            raise StepFailedError(step, f"no answer: {type(error).__name__}: {error}") from error
        elapsed = time.monotonic() - started
        if undo is not None:
            trip.cleanup = undo(response)
        problem = check(response) if check else None
        if problem:
            raise StepFailedError(step, f"answered {response.status}; {problem}")
        if trip.passed and elapsed > budget.slow_seconds:
            raise StepFailedError(step, f"answered in {elapsed:.1f} s, more than {budget.slow_seconds:g} s")
        return response

    try:
        health = call("health", Request("GET", health_path))
        body = json_body(health, "health", 200)
        expect(isinstance(body, dict), "health", f"body {body!r:.200}")
        if version_field is not None:
            reported = body.get(version_field)
            expect(
                reported == expected_version,
                "health",
                f"reports version {reported!r}, expected {expected_version!r}",
            )
        trip.passed.append("health")
        if service_check is not None:
            service_check(call, trip, health)
    finally:
        if trip.cleanup is not None:
            _clean_up(send, budget, trip.cleanup)
    return trip


def _clean_up(send: Send, budget: Budget, request: Request) -> None:
    """Send the trip's undo request; log (never raise) when that fails."""
    target = f"{request.method} {request.path}"
    if not budget.allows_cleanup():
        logger.error("cleanup skipped: no time left for %s", target)
        return
    try:
        response = send(request)
    except Exception:
        logger.exception("cleanup failed: %s", target)
        return
    if response.status < 300 or response.status == 404:
        logger.info("cleanup %s answered %s", target, response.status)
    else:
        logger.error("cleanup failed: %s answered %s: %r", target, response.status, response.body[:300])


def expect(condition: bool, step: str, problem: str) -> None:
    """Fail ``step`` with ``problem`` unless ``condition`` holds."""
    if not condition:
        raise StepFailedError(step, problem)


def expect_header(response: Response, step: str, name: str, value: str) -> None:
    actual = response.header(name)
    expect(actual == value, step, f"header {name}: {actual!r}, expected {value!r}")


def json_body(response: Response, step: str, status: int) -> Any:
    """The JSON body of an answer with ``status`` and ``application/json``; else fail ``step``."""
    expect(
        response.status == status,
        step,
        f"answered {response.status}, expected {status}: {response.body[:300]!r}",
    )
    content_type = (response.header("content-type") or "").split(";")[0].strip()
    expect(content_type == "application/json", step, f"content-type {content_type!r}")
    try:
        return json.loads(response.body)
    except ValueError:
        raise StepFailedError(step, f"body is not JSON: {response.body[:200]!r}") from None
