"""``sfcdk new DIR`` and ``sfcdk update``: a service repository from the template shipped in this wheel.

The template (``template/`` beside this module) is rendered by copier, pinned by the ``toolkit`` extra.
``new`` writes the FastAPI package, the CDK app with the pattern and per-environment settings, tests, a
Makefile, the pull-request workflow and ``.copier-answers.yml``, then pins both requirement sets with uv
(hash-locked: the development one for every platform, the layer's for Lambda arm64).

copier renders templates from git: each version's template is a tagged commit (``v<version>``) of a
repository in this machine's cache (:func:`template_cache`), which ``.copier-answers.yml`` names with the
version that wrote it. ``update`` adds the template of that version (from its wheel: ``--from-wheel`` or
the package index) when the cache lacks it, then this version's, and lets copier replay the repository's
answers over the difference, leaving conflicts as ``.rej`` files.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

from serverless_fastapi_cdk.toolkit.toolchain import PrerequisiteError

TEMPLATE = Path(__file__).with_name("template")
DISTRIBUTION = "serverless-fastapi-cdk"
ANSWERS_FILE = ".copier-answers.yml"
WHEELS = "wheels"
"""Where ``new --library PATH`` puts the library's wheel in the repository (``--find-links``)."""
LAYER_LOCK_ARGS = (
    "--python-platform",
    "aarch64-manylinux2014",
    "--python-version",
    "3.13",
    "--only-binary",
    ":all:",
)
_NAME = re.compile(r"^[a-z][a-z0-9-]{1,40}$")


def library_version() -> str:
    """The installed library's version (what the generated repository asks for by default)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0.0.0"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("destination", type=Path, help="the new repository's folder (created; must be empty)")
    parser.add_argument("--name", help="the service's name (default: the folder's name)")
    parser.add_argument("--package", help="its Python package (default: the name with underscores)")
    parser.add_argument("--region", help="AWS region of every environment (default: eu-west-1)")
    parser.add_argument(
        "--library",
        help=f"how requirements.in asks for the library (default: {DISTRIBUTION}[toolkit,nag]==<this "
        "version>; or a wheel, or the library's folder: copied or built into wheels/)",
    )
    parser.add_argument("--no-lock", action="store_true", help="leave requirements.txt to `make lock`")


def _uv() -> str:
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise PrerequisiteError(
                "uv is needed to pin the requirements: pip install uv (or --no-lock)"
            ) from None
        return found


def lock(destination: Path, package: str) -> None:
    """Pin the layer's and the development requirements with hashes, as the generated ``make lock`` does."""
    uv = _uv()
    commands = [
        [
            uv, "pip", "compile", "--quiet", "--generate-hashes", *LAYER_LOCK_ARGS,
            f"{package}/requirements.in", "-o", f"{package}/requirements.txt",
        ],
        [
            uv, "pip", "compile", "--quiet", "--generate-hashes", "--universal", "--python-version", "3.13",
            "--emit-find-links", "-c", f"{package}/requirements.txt",
            "requirements.in", "-o", "requirements.txt",
        ],
    ]  # fmt: skip
    for command in commands:
        result = subprocess.run(command, cwd=destination, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise PrerequisiteError(
                f"pinning the requirements failed ({' '.join(command[1:4])}):\n{result.stderr}"
            )


def _answers(arguments: argparse.Namespace) -> dict[str, Any]:
    name = arguments.name or arguments.destination.resolve().name
    if not _NAME.match(name):
        raise PrerequisiteError(
            f"{name!r} is not a service name (lower-case letters, digits and dashes, 2-41 characters): "
            "--name NAME"
        )
    data: dict[str, Any] = {"service_name": name, "library_version": library_version()}
    if arguments.package:
        data["package"] = arguments.package
    if arguments.region:
        data["region"] = arguments.region
    if arguments.library and not Path(arguments.library).exists():
        data["library_requirement"] = arguments.library
    return data


def _vendor_library(source: Path, destination: Path) -> str:
    """Put the library's wheel (``source``: a wheel, or the library's folder, built here) into
    ``destination/wheels/``; the requirement that installs it from there."""
    wheels = destination / WHEELS
    wheels.mkdir(parents=True, exist_ok=True)
    if source.is_file() and source.suffix == ".whl":
        shutil.copy2(source, wheels / source.name)
    elif (source / "pyproject.toml").is_file():
        result = subprocess.run(  # noqa: S603
            [_uv(), "build", "--quiet", "--wheel", "--out-dir", str(wheels), str(source)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise PrerequisiteError(f"building the library's wheel from {source} failed:\n{result.stderr}")
    else:
        raise PrerequisiteError(f"--library {source}: neither a wheel nor a folder with a pyproject.toml")
    (wheel,) = sorted(wheels.glob("serverless_fastapi_cdk-*.whl"))[-1:]
    version = wheel.name.split("-")[1]
    return f"{DISTRIBUTION}[toolkit,nag]=={version}"


def run(arguments: argparse.Namespace) -> int:
    """``sfcdk new``: render the template into the destination, then pin its requirements."""
    import copier

    destination: Path = arguments.destination
    if destination.exists() and any(destination.iterdir()):
        raise PrerequisiteError(f"{destination} is not empty: choose a new folder")
    data = _answers(arguments)
    if arguments.library and Path(arguments.library).exists():
        data["library_requirement"] = _vendor_library(Path(arguments.library).resolve(), destination)
        data["find_links"] = WHEELS
    version = library_version()
    repository = template_cache()
    record_template(repository, TEMPLATE, version)
    worker = copier.run_copy(
        str(repository),
        str(destination),
        data=data,
        vcs_ref=f"v{version}",
        defaults=True,
        quiet=True,
        unsafe=False,
        overwrite=False,
    )
    package = str(worker.answers.combined["package"])
    if not arguments.no_lock:
        print(f"pinning {package}/requirements.txt (Lambda arm64) and requirements.txt with uv ...")
        lock(destination, package)
    print(f"wrote {destination}: cd {destination} && make test && make run")
    return 0


def _template_of_wheel(wheel: Path, into: Path) -> None:
    prefix = "serverless_fastapi_cdk/toolkit/template/"
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if member.startswith(prefix) and not member.endswith("/"):
                target = into / member.removeprefix(prefix)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(member))


def _git(repository: Path, *arguments: str) -> None:
    subprocess.run(  # noqa: S603
        ["git", "-c", "user.name=sfcdk", "-c", "user.email=sfcdk@localhost", *arguments],  # noqa: S607
        cwd=repository,
        check=True,
        capture_output=True,
    )


def template_cache() -> Path:
    """The git repository of the template versions this machine has used (copier reads templates from git)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("sfcdk")) / "template"


def has_version(repository: Path, version: str) -> bool:
    """Whether ``repository`` holds the template of ``version`` (its tag ``v<version>``)."""
    result = subprocess.run(  # noqa: S603
        ["git", "rev-parse", "--verify", "--quiet", f"refs/tags/v{version}"],  # noqa: S607
        cwd=repository,
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def record_template(repository: Path, source: Path, version: str) -> None:
    """Commit ``source`` to ``repository`` as the template of ``version``, tagged ``v<version>``."""
    if not (repository / ".git").is_dir():
        repository.mkdir(parents=True, exist_ok=True)
        _git(repository, "init", "--quiet")
    for entry in repository.iterdir():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    shutil.copytree(source, repository, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    _git(repository, "add", "--all")
    _git(repository, "commit", "--quiet", "--allow-empty", "-m", f"template {version}")
    _git(repository, "tag", "--force", f"v{version}")


def update(project: Path, wheel: Path | None) -> int:
    """``sfcdk update``: replay the repository's answers over the template's change since it was written."""
    import copier
    import yaml  # type: ignore[import-untyped]

    answers_file = project / ANSWERS_FILE
    if not answers_file.is_file():
        raise PrerequisiteError(f"{answers_file} is missing: this repository was not written by sfcdk new")
    answers = yaml.safe_load(answers_file.read_text())
    previous_version = str(answers.get("library_version", ""))
    repository = template_cache()
    if (
        wheel is not None
        or not (repository / ".git").is_dir()
        or not has_version(repository, previous_version)
    ):
        with tempfile.TemporaryDirectory(prefix="sfcdk-update-") as scratch:
            previous = Path(scratch) / "previous"
            _template_of_wheel(wheel or _download(previous_version, Path(scratch)), previous)
            record_template(repository, previous, previous_version)
    record_template(repository, TEMPLATE, library_version())
    if answers.get("_src_path") != str(repository):
        answers["_src_path"] = str(repository)
        answers_file.write_text(yaml.safe_dump(answers, sort_keys=False))
        _git(
            project,
            "commit",
            "--quiet",
            "-m",
            "sfcdk update: the template's source on this machine",
            ANSWERS_FILE,
        )
    copier.run_update(
        str(project),
        data={"library_version": library_version()},
        defaults=True,
        overwrite=True,
        quiet=True,
        unsafe=False,
        vcs_ref=f"v{library_version()}",
        conflict="rej",
    )
    print(f"updated {project} from the template of {previous_version} to {library_version()}")
    return 0


def _download(version: str, scratch: Path) -> Path:
    downloads = scratch / "wheel"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(downloads),
         f"{DISTRIBUTION}=={version}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise PrerequisiteError(
            f"the {version} wheel is needed to update from its template: --from-wheel PATH\n{result.stderr}"
        )
    return next(downloads.glob("*.whl"))
