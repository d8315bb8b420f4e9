"""The library's tests run alone (``pytest`` in library/) or with the project's (``make test``).

The markers they carry are registered here too, so ``--strict-markers`` accepts them either way.
"""

from __future__ import annotations

import pytest

collect_ignore = ["fixtures"]
"""The fixtures are other repositories and packages (with tests of their own), not tests of the library."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: not in a quick run")
    config.addinivalue_line("markers", "synth: synthesizes a CDK app or builds Lambda assets")
