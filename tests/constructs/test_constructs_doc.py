"""docs/constructs.md says what the code says: its props tables and its example are generated from it.

``python -m tools.constructs_doc`` writes both; the example itself is synthesized, cdk-nag included, by
tests/constructs/test_python_api_service.py.
"""

from __future__ import annotations

import re

import serverless_fastapi_cdk
from tools.constructs_doc.__main__ import main
from tools.constructs_doc.render import CONSTRUCTS, DOC, EXAMPLE, PROPS_TYPES, render


def test_the_committed_page_is_the_generated_one() -> None:
    assert DOC.read_text() == render(DOC.read_text()), "run: python -m tools.constructs_doc"
    assert main(["--check"]) == 0


def test_the_example_is_the_other_services_whole_app() -> None:
    (block,) = re.findall(
        r"```python\n(.*?)```", DOC.read_text().split("### Example: another service")[1][:5000], re.S
    )

    assert block == EXAMPLE.read_text()


def test_every_public_construct_and_props_type_has_a_table() -> None:
    documented = set(re.findall(r"^### `(\w+)`$", DOC.read_text(), re.MULTILINE))
    public_classes = {
        name for name in serverless_fastapi_cdk.__all__ if not name.endswith(("Error", "Platform"))
    }
    enums = {"LogLevel", "TrafficShift"}

    assert documented == set(CONSTRUCTS) | set(PROPS_TYPES)
    assert public_classes - enums == documented


def test_a_changed_prop_makes_the_page_stale() -> None:
    stale = DOC.read_text().replace("| `name_prefix` |", "| `prefix` |", 1)

    assert render(stale) != stale
