"""Fixtures for every test suite.

AWS credentials are replaced by fake ones before any test runs, so no test can reach an AWS account.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.aws_emulator import Emulator, running_emulator, use_fake_aws_credentials

pytest_plugins = (
    "tests.support.cdk_synthesis",
    "tests.support.local_api",
    "tests.support.suites",
    "tests.support.assembly_variants",
    "tests.support.emulated_stage",
    "tests.support.scaffold",
)


def pytest_configure(config: pytest.Config) -> None:
    use_fake_aws_credentials()


@pytest.fixture(scope="session")
def aws_emulator() -> Iterator[Emulator]:
    """moto's server on a free loopback port, shared by the whole session."""
    with running_emulator() as emulator:
        yield emulator
