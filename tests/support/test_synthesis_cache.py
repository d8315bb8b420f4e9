"""The synthesis cache (tests/support/synthesis_cache.py): keyed by what an assembly is made from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.synthesis_cache import SYNTHESIS_INPUTS, cached_synthesis, inputs_digest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "cdk_app").mkdir(parents=True)
    (root / "cdk_app" / "stage.py").write_text("STAGE = 1\n")
    (root / "cdk.json").write_text("{}\n")
    return root


def test_the_digest_follows_every_input_and_ignores_caches(project: Path):
    before = inputs_digest(project)
    (project / "cdk_app" / "__pycache__").mkdir()
    (project / "cdk_app" / "__pycache__" / "stage.cpython-313.pyc").write_bytes(b"\0")

    assert inputs_digest(project) == before
    (project / "cdk_app" / "stage.py").write_text("STAGE = 2\n")
    assert inputs_digest(project) != before


def test_a_library_folder_counts_once_it_exists(project: Path):
    before = inputs_digest(project)
    (project / "library" / "src").mkdir(parents=True)
    (project / "library" / "src" / "construct.py").write_text("")

    assert "library" in SYNTHESIS_INPUTS
    assert inputs_digest(project) != before


def test_what_the_caller_adds_is_part_of_the_key(project: Path):
    assert inputs_digest(project, extra=("a",)) != inputs_digest(project, extra=("b",))


def test_an_assembly_is_synthesized_once_and_copied_afterwards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SYNTH_CACHE_DIR", str(tmp_path / "cache"))
    calls: list[Path] = []

    def synthesize(outdir: Path) -> None:
        calls.append(outdir)
        (outdir / "manifest.json").write_text('{"synthesized": true}')

    first = cached_synthesis("dev", tmp_path / "one", synthesize, extra=("cache test",))
    second = cached_synthesis("dev", tmp_path / "two", synthesize, extra=("cache test",))
    (second / "manifest.json").write_text("changed by a test")
    third = cached_synthesis("dev", tmp_path / "three", synthesize, extra=("cache test",))

    assert len(calls) == 1
    assert sorted(path.name for path in first.iterdir()) == ["manifest.json"]
    assert (third / "manifest.json").read_text() == '{"synthesized": true}'


def test_a_failed_synthesis_leaves_nothing_in_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SYNTH_CACHE_DIR", str(tmp_path / "cache"))

    def fails(outdir: Path) -> None:
        (outdir / "half.json").write_text("")
        raise RuntimeError("cdk synth failed")

    with pytest.raises(RuntimeError, match="cdk synth failed"):
        cached_synthesis("dev", tmp_path / "out", fails, extra=("failure test",))

    assert [path.suffix for path in (tmp_path / "cache").iterdir()] == [".lock"]
