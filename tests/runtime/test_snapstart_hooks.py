"""SnapStart: after a restore, the runtime builds its AWS session, clients and cached secret afresh.

The registry is the real ``snapshot_restore_py`` (pinned for the tests; Lambda's Python runtimes ship it).
A restore is played the way Lambda's runtime does it: every registered callable is called in order.
"""

from __future__ import annotations

import importlib
import socket
import sys
from collections.abc import Callable
from types import ModuleType

import pytest

from runtime.snapstart import RUNTIME_HOOKS_MODULE, register_restore_hooks
from tests.support.aws_emulator import Emulator

Registration = tuple[Callable[..., object], tuple[object, ...], dict[str, object]]


def after_restore_hooks() -> list[Registration]:
    registry: list[Registration] = importlib.import_module(RUNTIME_HOOKS_MODULE).get_after_restore()
    return registry


def restore() -> None:
    """What Lambda does when it resumes an execution environment from a snapshot."""
    for hook, args, kwargs in after_restore_hooks():
        hook(*args, **kwargs)


def test_importing_the_handler_registers_the_restore(runtime_handler: ModuleType):
    from runtime import aws

    assert (aws.restored, (), {}) in after_restore_hooks()


def test_a_restore_replaces_clients_and_secrets_made_before_the_snapshot(
    runtime_handler: ModuleType, runtime_backend: Emulator
):
    from runtime import aws

    before_snapshot = (aws.dynamodb(), aws.secrets_provider())

    restore()

    made_by_the_restore = aws._cache.dynamodb
    after_restore = (aws.dynamodb(), aws.secrets_provider())
    assert after_restore[0] is made_by_the_restore
    assert after_restore[0] is not before_snapshot[0]
    assert after_restore[1] is not before_snapshot[1]
    assert "TableNames" in after_restore[0].list_tables()


def test_without_the_registry_nothing_is_registered_and_nothing_breaks(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, RUNTIME_HOOKS_MODULE, None)

    assert register_restore_hooks() is False


def test_a_restore_keeps_the_sdk_models_read_at_init(runtime_handler: ModuleType, runtime_backend: Emulator):
    """The service models are read-only data: reading them again would only slow the first request."""
    from runtime import aws

    aws.dynamodb()
    loader = aws._cache.loader

    restore()

    assert loader is not None
    assert aws._cache.loader is loader
    assert aws._session().get_component("data_loader") is loader


def test_a_restore_without_credentials_yet_succeeds_and_leaves_the_client_to_the_first_request(
    runtime_handler: ModuleType, runtime_backend: Emulator, monkeypatch: pytest.MonkeyPatch
):
    """SnapStart's credentials come from Lambda's container endpoint; here it refuses the connection."""
    from runtime import aws

    with socket.socket() as unreachable:
        unreachable.bind(("127.0.0.1", 0))
        closed_port = unreachable.getsockname()[1]
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"http://127.0.0.1:{closed_port}/credentials")

    restore()

    assert aws._cache.dynamodb is None
    monkeypatch.undo()
    assert "TableNames" in aws.dynamodb().list_tables()
