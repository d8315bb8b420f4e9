"""The bench's steps run one after the other: a step that fails is recorded, and the run goes on.

A run measures for many minutes; one failing step (a command that cannot start, a variant that does not
build) must not cost the figures of the others, so the report is always written and says what failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StepFailure:
    step: str
    error: str


@dataclass
class Steps:
    failures: list[StepFailure] = field(default_factory=list)

    def run[T](self, step: str, action: Callable[[], T]) -> T | None:
        """``action()``, or None once its failure is recorded under ``step``."""
        print(f"{step} ...", flush=True)
        try:
            return action()
        except Exception as error:  # noqa: BLE001 - any failure of a step is reported, not raised
            failure = StepFailure(step, f"{type(error).__name__}: {error}")
            self.failures.append(failure)
            print(f"{step} failed: {failure.error}", flush=True)
            return None
