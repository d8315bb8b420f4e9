"""A Lambda layer holding a Python function's third-party packages, built without Docker.

uv installs the hash-locked requirements as wheels for the target platform (``--python-platform
aarch64-manylinux2014`` or ``x86_64-manylinux2014``, ``--python-version``, ``--only-binary :all:``,
``--require-hashes``) into ``python/``; the bundler then strips what Lambda never reads (plus the
caller's ``exclude`` patterns), optionally keeps only the AWS SDK models of the services the function
calls (``aws_sdk_services``, see :mod:`serverless_fastapi_cdk.sdk_models`), and compiles hash-based
bytecode with the
target Python version.

The asset hash is derived from the pinned requirements' content, the architecture, the Python version,
the wheel platform, the bytecode invalidation mode, the exclusions, the AWS SDK services kept and
:data:`BUNDLER_VERSION`, never from build output, so synth is deterministic and a build happens only
when one of those changes. Given a ``cache_dir``, built layers are kept there under that hash and
reused by every later synthesis.

CDK context key ``layer_platform`` (read by ``app.py``, see :data:`LAYER_PLATFORM_CONTEXT_KEY`):
``cdk synth -c layer_platform=host`` builds the layer with wheels for the machine running synth
(:attr:`LayerPlatform.HOST`) instead of manylinux for Lambda, changing nothing else in the template
but the layer's asset hash. The local API emulator runs the synthesized assembly that way.
"""

from __future__ import annotations

import py_compile
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Collection, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from serverless_fastapi_cdk.bundling import (
    DEFAULT_INVALIDATION_MODE,
    BundlingError,
    compile_tree,
    digest,
    mirror_tree,
    python_version_of,
    remove_bytecode_caches,
    require_interpreter,
)
from serverless_fastapi_cdk.sdk_models import keep_sdk_models

BUNDLER_VERSION = "2"
"""Bump when the build steps below change what ends up in the layer."""

LAYER_PLATFORM_CONTEXT_KEY = "layer_platform"
"""CDK context key that selects the :class:`LayerPlatform` (``lambda`` or ``host``)."""

LAYER_ROOT = "/opt/python"
"""Where Lambda mounts a Python layer's ``python/`` folder (recorded in tracebacks)."""

_UV_PLATFORMS = {
    lambda_.Architecture.ARM_64.name: "aarch64-manylinux2014",
    lambda_.Architecture.X86_64.name: "x86_64-manylinux2014",
}
"""uv's ``--python-platform`` for each architecture: the manylinux2014 wheels Lambda's runtimes load."""
_KEPT_DIST_INFO = {"METADATA", "entry_points.txt", "top_level.txt"}
"""What importlib.metadata reads at run time (versions, entry points); the rest of dist-info is not."""
_TEST_DIRS = {"tests", "test"}
_NO_WHEEL = re.compile(r"Because (?:only )?(\S+?) has no (?:usable )?wheels")
_NO_HASH = "all requirements must have a hash"


class LayerPlatform(StrEnum):
    """Which wheels the layer holds."""

    LAMBDA = "lambda"
    """manylinux wheels for the layer's architecture: what Lambda runs."""
    HOST = "host"
    """Wheels for the machine running synth, for running the assembly locally."""


def _strip(site: Path) -> None:
    """Remove what the function never reads: scripts, caches, tests, type stubs, install records."""
    shutil.rmtree(site / "bin", ignore_errors=True)
    remove_bytecode_caches(site)
    for package in site.iterdir():
        if not package.is_dir() or package.name.endswith(".dist-info"):
            continue
        if package.name.endswith("-stubs") or package.name in _TEST_DIRS:
            shutil.rmtree(package)
            continue
        for tests in sorted(package.rglob("*"), reverse=True):
            if tests.is_dir() and tests.name in _TEST_DIRS:
                shutil.rmtree(tests)
    for stub in site.rglob("*.pyi"):
        stub.unlink()
    for dist_info in site.glob("*.dist-info"):
        for entry in dist_info.iterdir():
            if entry.is_file() and entry.name not in _KEPT_DIST_INFO and not entry.name.startswith("LICEN"):
                entry.unlink()


def _exclude(site: Path, patterns: Sequence[str]) -> None:
    """Delete what each glob pattern (relative to ``site``) matches; each must match something."""
    for pattern in patterns:
        matches = sorted(site.glob(pattern), reverse=True)
        if not matches:
            raise BundlingError(f"dependency layer: exclude pattern {pattern!r} matches nothing in the layer")
        for match in matches:
            if match.is_dir():
                shutil.rmtree(match)
            elif match.exists():
                match.unlink()


def _find_uv() -> str:
    """The uv installed beside the synthesizing interpreter (this library depends on it), else on PATH."""
    found = shutil.which("uv", path=sysconfig.get_path("scripts")) or shutil.which("uv")
    if found is None:
        raise BundlingError(
            "dependency layer: uv is needed to build the layer, and none is installed beside "
            f"{sys.executable} or on PATH: install it in the environment that runs synth (`pip install uv`)"
        )
    return found


@jsii.implements(ILocalBundling)
class _UvLayerBundler:
    """Builds the layer on the machine running synth; CDK calls :meth:`try_bundle` instead of Docker."""

    def __init__(
        self,
        *,
        requirements_file: Path,
        wheel_platform: str | None,
        python_version: str,
        python: str,
        invalidation_mode: py_compile.PycInvalidationMode,
        exclude: Sequence[str],
        aws_sdk_services: Collection[str] | None,
        cache_entry: Path | None,
    ) -> None:
        self._requirements_file = requirements_file
        self._wheel_platform = wheel_platform
        self._python_version = python_version
        self._python = python
        self._invalidation_mode = invalidation_mode
        self._exclude = exclude
        self._aws_sdk_services = aws_sdk_services
        self._cache_entry = cache_entry

    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        """Build into ``output_dir``; CDK passes the bundling options, which this bundler does not need."""
        output = Path(output_dir)
        if self._cache_entry is None:
            self._build(output)
            return True
        if not self._cache_entry.is_dir():
            self._cache_entry.parent.mkdir(parents=True, exist_ok=True)
            scratch = Path(
                tempfile.mkdtemp(prefix=f"{self._cache_entry.name}.", dir=self._cache_entry.parent)
            )
            try:
                self._build(scratch)
                scratch.replace(self._cache_entry)
            except OSError:
                if not self._cache_entry.is_dir():
                    raise
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        mirror_tree(self._cache_entry, output)
        return True

    def _build(self, destination: Path) -> None:
        site = destination / "python"
        self._uv_install(site)
        _strip(site)
        _exclude(site, self._exclude)
        if self._aws_sdk_services is not None:
            keep_sdk_models(site, self._aws_sdk_services)
        compile_tree(
            site, deployed_at=LAYER_ROOT, invalidation_mode=self._invalidation_mode, python=self._python
        )

    def _uv_install(self, site: Path) -> None:
        """Install the lock into ``site`` as copies: the steps after it edit files in place (the SDK's
        endpoints), which through uv's default hard links would rewrite uv's cache for every venv."""
        command = [
            _find_uv(), "pip", "install", "--quiet", "--no-compile", "--link-mode", "copy",
            "--only-binary", ":all:", "--require-hashes", "--python", self._python,
            "--target", str(site), "-r", str(self._requirements_file),
        ]  # fmt: skip
        if self._wheel_platform is not None:
            command += ["--python-platform", self._wheel_platform, "--python-version", self._python_version]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode == 0:
            return
        target = self._wheel_platform or "this machine"
        missing = _NO_WHEEL.search(result.stderr)
        if missing:
            raise BundlingError(
                f"dependency layer: no wheel of {missing.group(1)} for {target} and Python "
                f"{self._python_version} (from {self._requirements_file}); pin a version that publishes "
                "one or replace the package"
            )
        if _NO_HASH in result.stderr:
            raise BundlingError(
                f"dependency layer: {self._requirements_file} pins a package without a hash; lock it with "
                "hashes (`uv pip compile --generate-hashes`, `pip-compile --generate-hashes`):\n"
                f"{result.stderr.strip()}"
            )
        raise BundlingError(
            f"dependency layer: uv pip install failed for {self._requirements_file}:\n{result.stderr.strip()}"
        )


class DependencyLayer(Construct):
    """A layer version with the packages pinned in a requirements file, for one architecture.

    Public attributes: :attr:`layer` (the ``LayerVersion``) and :attr:`asset_hash` (the custom hash
    of its inputs).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        requirements_file: Path,
        architecture: lambda_.Architecture = lambda_.Architecture.ARM_64,
        runtime: lambda_.Runtime = lambda_.Runtime.PYTHON_3_13,
        platform: LayerPlatform = LayerPlatform.LAMBDA,
        invalidation_mode: py_compile.PycInvalidationMode = DEFAULT_INVALIDATION_MODE,
        exclude: Sequence[str] = (),
        aws_sdk_services: Collection[str] | None = None,
        cache_dir: Path | None = None,
        description: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        """Create the layer.

        :param requirements_file: fully pinned requirements with hashes (``name==version --hash=...``
            for every package, dependencies included), e.g. the output of ``uv pip compile
            --generate-hashes`` or ``make lock``; a pin without a hash fails synth. Building needs uv in
            the synthesizing environment (a dependency of this library). Required.
        :param architecture: instruction set of the wheels and of the functions using the layer.
            Default: ``ARM_64``.
        :param runtime: Python runtime the layer is for; the synthesizing interpreter must be the same
            version, since it compiles the bytecode. Default: ``PYTHON_3_13``.
        :param platform: ``LAMBDA`` for manylinux wheels of ``architecture``; ``HOST`` for wheels of the
            machine running synth (local emulation only). Default: ``LAMBDA``.
        :param invalidation_mode: how the interpreter validates the compiled ``.pyc`` files;
            ``UNCHECKED_HASH`` trusts them (layers are immutable), ``CHECKED_HASH`` re-hashes each
            source on import. Timestamp-based bytecode is not offered: zip files do not keep mtimes.
            Default: ``UNCHECKED_HASH``.
        :param exclude: glob patterns, relative to the layer's ``python/`` folder, of files or folders
            the function never reads (e.g. a library's bundled web assets); each must match something.
            Default: none.
        :param aws_sdk_services: botocore names of every AWS service the function calls (e.g.
            ``("dynamodb", "secretsmanager")``): the layer keeps only their SDK models, which makes it
            ~20 MB smaller unzipped and the first client of a cold start faster; a client of any other
            service fails with ``UnknownServiceError``. A name botocore does not know fails synth.
            Default: none, every model is kept.
        :param cache_dir: folder that keeps built layers keyed by asset hash, reused across syntheses
            (keep it out of version control). Default: none, every synthesis that needs the asset builds it.
        :param description: layer description. Default: names the requirements file.
        :param removal_policy: what happens to superseded layer versions; functions already using a
            version keep working after it is deleted. Default: ``DESTROY``.
        """
        super().__init__(scope, construct_id)
        python_version = python_version_of(runtime.name)
        python = require_interpreter(python_version)
        if platform is LayerPlatform.HOST:
            wheel_platform = None
            platform_id = f"host:{sysconfig.get_platform()}"
        else:
            wheel_platform = _UV_PLATFORMS[architecture.name]
            platform_id = wheel_platform

        self.asset_hash: str = digest(
            [
                BUNDLER_VERSION,
                requirements_file.read_bytes(),
                architecture.name,
                python_version,
                platform_id,
                invalidation_mode.name,
                "\n".join(exclude),
                "*" if aws_sdk_services is None else ",".join(sorted(set(aws_sdk_services))),
            ]
        )
        bundler = _UvLayerBundler(
            requirements_file=requirements_file,
            wheel_platform=wheel_platform,
            python_version=python_version,
            python=python,
            invalidation_mode=invalidation_mode,
            exclude=exclude,
            aws_sdk_services=aws_sdk_services,
            cache_entry=cache_dir / self.asset_hash if cache_dir is not None else None,
        )
        self.layer: lambda_.LayerVersion = lambda_.LayerVersion(
            self,
            "Layer",
            code=lambda_.Code.from_asset(
                str(requirements_file.parent),
                asset_hash=self.asset_hash,
                asset_hash_type=AssetHashType.CUSTOM,
                bundling=BundlingOptions(image=runtime.bundling_image, local=bundler),
            ),
            compatible_runtimes=[runtime],
            compatible_architectures=[architecture],
            description=description or f"Python {python_version} packages pinned in {requirements_file.name}",
            removal_policy=removal_policy,
        )
