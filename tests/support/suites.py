"""Which suite each test belongs to: the markers that keep ``make check`` fast.

A pytest plugin (registered in tests/conftest.py). Every test that synthesizes a CDK app, runs the
local API emulator, fuzzes, loads or runs the IaC scanners gets the marker of that kind, so ``make
check`` deselects them with ``-m "not slow"`` and ``make test`` runs everything. The markers come from
what a test uses (the closure of its fixtures), so a new test built on the shared synthesis or on an
emulator fixture is marked without being listed here; only modules that synthesize inline are named,
and a single test that does can carry its marker itself (``@pytest.mark.synth``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SLOW_MARKERS = {
    "synth": "synthesizes a CDK app or builds Lambda assets (tens of seconds)",
    "emulator": "serves the synthesized dev stage through the local API emulator",
    "fuzz": "schemathesis fuzzing of the OpenAPI contract through the emulated stage",
    "load": "bounded load or contention (racing writers) against the emulated stage or its DynamoDB",
    "scanners": "cfn-lint and checkov over every template (.venv-scan)",
}
"""The slow kinds; each also gets ``slow``, which is what ``make check`` deselects."""

SYNTH_FIXTURES = frozenset(
    {
        "synthesized_app",
        "dev_assembly_dir",
        "scaffold_app",
        "iam_variant",
        "table_key_variant",
        "layer_variant",
    }
)
"""The shared syntheses: whatever depends on one of them waits for a synthesis."""

EMULATOR_FIXTURES = frozenset(
    {"dev_api", "probe_api", "broken_layer_api", "hardened_api", "fault_api", "hot_api"}
)

MODULE_MARKERS: dict[str, tuple[str, ...]] = {
    "tests/service/test_fuzz_contract.py": ("fuzz", "emulator", "synth"),
    "tests/service/test_load.py": ("load", "emulator", "synth"),
    "tests/tools/scan/test_scanners.py": ("scanners", "synth"),
    "tests/tools/moto_server/test_local_dynamodb.py": ("load",),
}
"""Modules whose tests are all of a kind, whatever fixtures they use."""

INLINE_SYNTH_MODULES = frozenset(
    {
        "tests/constructs/test_assets.py",
        "library/tests/test_construct_props.py",
        "library/tests/test_layer_change.py",
        "library/tests/test_package.py",
        "library/tests/test_python_api_service.py",
        "library/tests/test_reuse.py",
        "library/tests/test_runtimes.py",
        "library/tests/test_outside_repository.py",
        "tests/constructs/test_layer_trimming.py",
        "tests/constructs/test_constructs_doc.py",
    }
)
"""Modules whose tests build their own stacks or assets instead of using a shared synthesis."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: not in make check (one of the kinds below)")
    for name, meaning in SLOW_MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {meaning}")


def kinds_of(module: str, fixtures: set[str]) -> set[str]:
    """The slow kinds of a test in ``module`` (relative to the repository root) using ``fixtures``."""
    kinds = set(MODULE_MARKERS.get(module, ()))
    if fixtures & SYNTH_FIXTURES or module in INLINE_SYNTH_MODULES:
        kinds.add("synth")
    if fixtures & EMULATOR_FIXTURES:
        kinds.add("emulator")
    return kinds


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.path.relative_to(ROOT).as_posix()
        kinds = kinds_of(module, set(getattr(item, "fixturenames", ())))
        kinds |= {name for name in SLOW_MARKERS if item.get_closest_marker(name) is not None}
        for kind in sorted(kinds):
            item.add_marker(kind)
        if kinds:
            item.add_marker("slow")
