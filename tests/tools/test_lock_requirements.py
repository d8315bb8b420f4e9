"""tools/lock_requirements.py: the hash-locked requirement sets, and how uv compiles them.

The lock files of the repository are checked as they are committed; the compiling is run for real with
the pinned uv, offline, against a folder of tiny wheels this test writes (``--no-index --find-links``),
so it shows what the tool does without reaching a registry.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from pathlib import Path

import pytest

from tools import lock_requirements
from tools.lock_requirements import BOOTSTRAP, DEVELOPMENT, LOCKS, RUNTIME, SCANNERS, Lock, compile_locks

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
OFFLINE = ("--offline", "--no-index", "--find-links")


def pins(lock: Path) -> dict[str, str]:
    """``name -> version`` of every pin in a lock written by uv."""
    found = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def unhashed(lock: Path) -> list[str]:
    """The pins of ``lock`` that carry no ``--hash``."""
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text())
    return [entry.split()[0] for entry in entries if PIN.match(entry) and "--hash=sha256:" not in entry]


@pytest.mark.parametrize("lock", LOCKS, ids=lambda lock: lock.output)
def test_every_committed_lock_pins_every_package_with_a_hash(lock: Lock):
    path = ROOT / lock.output

    assert pins(path)
    assert unhashed(path) == []


def test_the_dev_lock_keeps_every_pin_of_the_runtime_and_bootstrap_locks():
    development = pins(ROOT / DEVELOPMENT.output)

    for lock in (RUNTIME, BOOTSTRAP):
        assert {name: development.get(name) for name in pins(ROOT / lock.output)} == pins(ROOT / lock.output)


def test_the_runtime_lock_is_resolved_for_lambda_alone_and_the_others_for_every_platform():
    assert RUNTIME.platform == ("--python-platform", "aarch64-manylinux2014", "--only-binary", ":all:")
    assert DEVELOPMENT.platform == BOOTSTRAP.platform == SCANNERS.platform == ("--universal",)
    assert DEVELOPMENT.constraints == (RUNTIME.output, BOOTSTRAP.output)
    for position, lock in enumerate(LOCKS):
        assert set(lock.constraints) <= {earlier.output for earlier in LOCKS[:position]}, lock.output


def test_the_dev_lock_includes_the_runtime_and_bootstrap_sets():
    text = (ROOT / DEVELOPMENT.source).read_text().splitlines()

    assert f"-r {RUNTIME.source}" in text
    assert f"-r {BOOTSTRAP.source}" in text


def write_wheel(folder: Path, name: str, version: str, tag: str = "py3-none-any") -> None:
    """A minimal wheel: metadata only, which is all a resolver reads."""
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist_info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n",
    }
    record = [
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},"
        f"{len(text.encode())}"
        for path, text in files.items()
    ]
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(folder / f"{name}-{version}-{tag}.whl", "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """``native`` 2.0 has an x86_64 wheel only; 1.0 has an arm64 one. ``pure`` has 1.0 and 2.0."""
    folder = tmp_path / "wheels"
    folder.mkdir()
    write_wheel(folder, "native", "1.0", "cp313-cp313-manylinux2014_aarch64")
    write_wheel(folder, "native", "2.0", "cp313-cp313-manylinux2014_x86_64")
    write_wheel(folder, "pure", "1.0")
    write_wheel(folder, "pure", "2.0")
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository with the runtime and dev `.in` files of the real one's shape."""
    root = tmp_path / "project"
    (root / "runtime").mkdir(parents=True)
    (root / "tools" / "bootstrap").mkdir(parents=True)
    (root / "runtime" / "requirements.in").write_text("native\n")
    (root / "tools" / "bootstrap" / "requirements.in").write_text("pure==1.0\n")
    (root / "requirements.in").write_text(
        "-r runtime/requirements.in\n-r tools/bootstrap/requirements.in\nnative\n"
    )
    return root


def compile_offline(project: Path, index: Path, locks: tuple[Lock, ...], *options: str) -> None:
    compile_locks(project, locks, uv=lock_requirements.find_uv(), options=[*OFFLINE, str(index), *options])


def test_the_runtime_lock_picks_the_newest_version_with_an_arm64_wheel_and_the_dev_lock_follows(
    project: Path, index: Path
):
    compile_offline(project, index, (RUNTIME, BOOTSTRAP, DEVELOPMENT))

    assert pins(project / RUNTIME.output) == {"native": "1.0"}
    assert pins(project / DEVELOPMENT.output) == {"native": "1.0", "pure": "1.0"}
    assert unhashed(project / RUNTIME.output) == unhashed(project / DEVELOPMENT.output) == []
    wheel_hash = hashlib.sha256(
        (index / "native-1.0-cp313-cp313-manylinux2014_aarch64.whl").read_bytes()
    ).hexdigest()
    assert f"--hash=sha256:{wheel_hash}" in (project / RUNTIME.output).read_text()


def test_without_the_runtime_constraint_the_dev_lock_would_disagree(project: Path, index: Path):
    """The control case: resolved on its own for every platform, the dev set takes native 2.0."""
    compile_offline(project, index, (RUNTIME, BOOTSTRAP))
    compile_offline(project, index, (Lock(DEVELOPMENT.source, DEVELOPMENT.output, ("--universal",)),))

    assert pins(project / DEVELOPMENT.output)["native"] == "2.0"


def test_a_relock_keeps_existing_pins_unless_asked_to_upgrade(project: Path, index: Path):
    (project / "tools" / "bootstrap" / "requirements.in").write_text("pure\n")
    (project / BOOTSTRAP.output).write_text("pure==1.0\n")

    compile_offline(project, index, (BOOTSTRAP,))
    kept = pins(project / BOOTSTRAP.output)
    compile_offline(project, index, (BOOTSTRAP,), "--upgrade-package", "pure")

    assert kept == {"pure": "1.0"}
    assert pins(project / BOOTSTRAP.output) == {"pure": "2.0"}
