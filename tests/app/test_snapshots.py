"""syrupy JSON snapshots of every template of every environment (``make snapshot-update`` rewrites them).

Asset hashes change whenever the runtime's code or pinned requirements change, and the published version's
logical id follows them; both are normalised so that the snapshots change only when the infrastructure does.
The fine-grained tests beside this file say what matters; the snapshots catch everything else.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.support.cdk_synthesis import ENVIRONMENTS, STACK_KINDS, SynthesizedApp

ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
VERSION_ID = re.compile(r"\b(\w+CurrentVersion[0-9A-F]{8})[0-9a-f]{32}\b")


def normalise(template: dict[str, Any]) -> Any:
    text = json.dumps(template, sort_keys=True)
    text = ASSET_HASH.sub("<asset-hash>", text)
    text = VERSION_ID.sub(r"\1<version-hash>", text)
    return json.loads(text)


def test_normalise_replaces_only_volatile_hashes():
    template = {
        "Resources": {
            "ApiFunctionCurrentVersion478B78C8bd44d2948c53790e91b635ac3406495e": {
                "Type": "AWS::Lambda::Version"
            },
        },
        "Key": f"{'ab' * 32}.zip",
        "Name": "items-dev",
    }

    assert normalise(template) == {
        "Resources": {"ApiFunctionCurrentVersion478B78C8<version-hash>": {"Type": "AWS::Lambda::Version"}},
        "Key": "<asset-hash>.zip",
        "Name": "items-dev",
    }


@pytest.mark.parametrize("kind", STACK_KINDS)
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_template_matches_snapshot(
    synthesized_app: SynthesizedApp, snapshot: SnapshotAssertion, environment: str, kind: str
):
    template = synthesized_app.template_json(environment, kind)

    assert normalise(template) == snapshot(extension_class=JSONSnapshotExtension)
