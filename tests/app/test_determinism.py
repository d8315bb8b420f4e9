"""Synthesis is deterministic: a second synthesis writes byte-identical templates and asset manifests."""

from __future__ import annotations

import pytest

from tests.support.cdk_synthesis import SynthesizedApp, synthesize_app


def assembly_files(app: SynthesizedApp) -> dict[str, bytes]:
    return {
        str(path.relative_to(app.outdir)): path.read_bytes()
        for pattern in ("assembly-*/*.template.json", "assembly-*/*.assets.json")
        for path in sorted(app.outdir.glob(pattern))
    }


def test_two_syntheses_write_byte_identical_templates(
    synthesized_app: SynthesizedApp, tmp_path_factory: pytest.TempPathFactory
):
    again = synthesize_app(tmp_path_factory.mktemp("cdk.out.again"))

    first, second = assembly_files(synthesized_app), assembly_files(again)
    assert len(first) == 18  # 3 environments x (2 service stacks + 1 deploy-roles stack) x 2 files
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
