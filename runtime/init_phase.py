"""Lambda's INIT phase without the cyclic garbage collector.

Importing FastAPI, pydantic, botocore and Powertools and building the app allocates some hundred
thousand objects that live as long as the execution environment. The collector runs again and again
while they are made and finds almost nothing to free: pausing it saves about a tenth of INIT's CPU
time (``make bench``). :func:`gc.freeze` then moves everything made so far out of the collector's
sight, so later collections, during requests, no longer walk the app's objects.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator
from contextlib import contextmanager

FIRST_REQUEST_MODULES = ("anyio._backends._asyncio", "encodings.idna")
"""Modules the first request would import: anyio's asyncio backend, loaded when FastAPI first runs a
route in a worker thread, and the codec the socket module uses to resolve the AWS endpoint's name."""


def import_first_request_modules() -> None:
    """Import now, during INIT, what the first request would otherwise import."""
    for name in FIRST_REQUEST_MODULES:
        importlib.import_module(name)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the garbage collector off, then freeze what exists and restore it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


@contextmanager
def model_builds_deferred() -> Iterator[None]:
    """Pydantic models defined in the block build their validators on first use, not at definition."""
    from pydantic._internal._config import config_defaults

    config_defaults["defer_build"] = True
    try:
        yield
    finally:
        config_defaults["defer_build"] = False
