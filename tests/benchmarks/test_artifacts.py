"""Packing like the CDK CLI, unpacking like Lambda, and telling usable bytecode from stale bytecode.

The control cases prove that the bytecode test can fail: a module compiled the way pip compiles it
(timestamp invalidation) is recompiled from source once zipped and unpacked, and the checks see it.
"""

from __future__ import annotations

import os
import py_compile
import time
import zipfile
from pathlib import Path

import pytest

from benchmarks.artifacts import (
    ZIP_DATE,
    compiled_path,
    extract_read_only,
    has_usable_bytecode,
    modules_without_usable_bytecode,
    tree_listing,
    zip_like_cdk,
)
from benchmarks.runner import Deployment, run_probe
from benchmarks.variants import Variant
from tests.support.trace import code_objects

HANDLER_SOURCE = 'def handler(event, context):\n    return {"statusCode": 200, "body": "ok"}\n'


def function_folder(root: Path, mode: py_compile.PycInvalidationMode | None) -> Path:
    """A function folder with ``fn.py``, compiled with ``mode`` (or without bytecode)."""
    folder = root / "function"
    folder.mkdir()
    source = folder / "fn.py"
    source.write_text(HANDLER_SOURCE)
    script = folder / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    if mode is not None:
        py_compile.compile(str(source), str(compiled_path(source)), invalidation_mode=mode, doraise=True)
    return folder


def test_zip_like_cdk_dates_every_entry_1980_keeps_modes_and_holds_files_only(tmp_path: Path):
    folder = function_folder(tmp_path, py_compile.PycInvalidationMode.UNCHECKED_HASH)

    size = zip_like_cdk(folder, tmp_path / "asset.zip")

    with zipfile.ZipFile(tmp_path / "asset.zip") as bundle:
        entries = {entry.filename: entry for entry in bundle.infolist()}
    assert sorted(entries) == ["__pycache__/fn.cpython-313.pyc", "fn.py", "run.sh"]
    assert {entry.date_time for entry in entries.values()} == {ZIP_DATE}
    assert entries["run.sh"].external_attr >> 16 & 0o777 == 0o755
    assert size.files == 3
    assert size.unzipped_bytes == sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    assert size.zipped_bytes == (tmp_path / "asset.zip").stat().st_size


def test_extract_read_only_restores_the_zip_dates_and_leaves_nothing_writable(tmp_path: Path):
    zip_like_cdk(function_folder(tmp_path, None), tmp_path / "asset.zip")

    unpacked = extract_read_only(tmp_path / "asset.zip", tmp_path / "task")

    entries = [unpacked, *unpacked.rglob("*")]
    assert {path.stat().st_mode & 0o222 for path in entries} == {0}
    assert (unpacked / "run.sh").stat().st_mode & 0o111
    assert (unpacked / "fn.py").stat().st_mtime == time.mktime((*ZIP_DATE, 0, 0, -1))


@pytest.mark.parametrize(
    ("mode", "usable"),
    [
        (py_compile.PycInvalidationMode.UNCHECKED_HASH, True),
        (py_compile.PycInvalidationMode.CHECKED_HASH, True),
        (py_compile.PycInvalidationMode.TIMESTAMP, False),
        (None, False),
    ],
)
def test_only_hash_based_bytecode_survives_the_asset_zip(
    tmp_path: Path, mode: py_compile.PycInvalidationMode | None, usable: bool
):
    folder = function_folder(tmp_path, mode)
    size = zip_like_cdk(folder, tmp_path / "asset.zip")
    unpacked = extract_read_only(tmp_path / "asset.zip", tmp_path / "task")
    variant = Variant(name="fn", description="", handler="fn.handler", code_dir=folder, layer_dir=None)
    deployment = Deployment(variant=variant, task=unpacked, opt=None, code_size=size, layer_size=None)
    before = tree_listing(unpacked)
    audited = has_usable_bytecode(unpacked / "fn.py"), modules_without_usable_bytecode(unpacked)

    outcome = run_probe(
        deployment,
        {"mode": "cold", "handler": "fn.handler", "events": [{}]},
        {"PATH": os.environ.get("PATH", "")},
        flags=("-I", "-S", "-v"),
    )

    source = str(unpacked / "fn.py")
    traced = dict(code_objects(outcome.stderr))
    assert audited == (usable, [] if usable else [unpacked / "fn.py"])
    assert outcome.result["compiled_from_source"] == ([] if usable else [source])
    assert (source in traced) is not usable
    assert outcome.result["requests"][0]["status"] == 200
    if os.geteuid() == 0:
        assert (tree_listing(unpacked) == before) is usable
