"""Settings come from the environment variables named in the contract."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from runtime import contract
from runtime.settings import Settings, SettingsError
from tests.runtime.lambda_process import ROOT

REQUIRED = {
    contract.ENV_TABLE_NAME: "items",
    contract.ENV_CURSOR_SECRET_NAME: "items/cursor",
    contract.ENV_METRICS_NAMESPACE: "ItemsService",
}


def test_defaults_are_secure_and_versions_optional() -> None:
    assert Settings.from_environ(REQUIRED) == Settings(
        table_name="items", cursor_secret_name="items/cursor", enable_docs=False
    )


def test_every_variable_is_read() -> None:
    environ = {
        **REQUIRED,
        contract.ENV_ENABLE_DOCS: "TRUE",
        contract.ENV_APP_VERSION: "2.0.1",
        "AWS_LAMBDA_FUNCTION_VERSION": "12",
    }

    settings = Settings.from_environ(environ)

    assert (settings.enable_docs, settings.app_version, settings.function_version) == (True, "2.0.1", "12")


@pytest.mark.parametrize("name", sorted(REQUIRED))
@pytest.mark.parametrize("value", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_a_missing_required_variable_fails_naming_it(name: str, value: str | None) -> None:
    environ = {key: given for key, given in REQUIRED.items() if key != name}
    if value is not None:
        environ[name] = value

    with pytest.raises(SettingsError, match=name):
        Settings.from_environ(environ)


@pytest.mark.parametrize("value", ["yes", "1", "on"])
def test_enable_docs_accepts_only_true_or_false(value: str) -> None:
    with pytest.raises(SettingsError, match=contract.ENV_ENABLE_DOCS):
        Settings.from_environ({**REQUIRED, contract.ENV_ENABLE_DOCS: value})


def test_the_handler_does_not_start_without_a_metrics_namespace() -> None:
    """Lambda's INIT fails, naming the variable, instead of every write failing after it committed."""
    environ = {key: value for key, value in os.environ.items() if key != contract.ENV_METRICS_NAMESPACE}

    result = subprocess.run(
        [sys.executable, "-c", "import runtime.handler"],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        check=False,
    )

    assert result.returncode == 1
    assert (
        "runtime.settings.SettingsError: environment variable POWERTOOLS_METRICS_NAMESPACE must be set"
        in result.stderr
    )
