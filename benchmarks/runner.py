"""Deploy a variant the way Lambda does (zip, unpack read-only) and run the probe in fresh interpreters."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.artifacts import ArchiveSize, extract_read_only, remove_tree, zip_like_cdk
from benchmarks.variants import Variant

PROBE = Path(__file__).resolve().parent / "probe.py"
PROBE_FLAGS = ("-I", "-S", "-B")
"""Isolated mode without ``site``: only the standard library and the artifact are importable. ``-B``
stands in for Lambda's read-only file system: nothing compiled at a cold start can be saved."""
PROBE_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Deployment:
    """A variant unpacked like Lambda: ``task`` is ``/var/task``, ``opt`` is ``/opt`` (the layer)."""

    variant: Variant
    task: Path
    opt: Path | None
    code_size: ArchiveSize
    layer_size: ArchiveSize | None

    @property
    def module_path(self) -> list[str]:
        """Lambda's order: the function's code, then the layer's ``python/``."""
        return [str(self.task)] + ([str(self.opt / "python")] if self.opt is not None else [])


def package(asset: Path, folder: Path, name: str) -> tuple[ArchiveSize, Path]:
    """Zip ``asset`` like the CDK CLI to ``folder/<name>.zip``, unpack it read-only to ``folder/<name>``."""
    size = zip_like_cdk(asset, folder / f"{name}.zip")
    return size, extract_read_only(folder / f"{name}.zip", folder / name)


def deploy(variant: Variant, folder: Path) -> Deployment:
    """Zip ``variant``'s folders like the CDK CLI and unpack them read-only under ``folder``."""
    remove_tree(folder)
    code_size, task = package(variant.code_dir, folder, "task")
    if variant.layer_dir is None:
        return Deployment(variant=variant, task=task, opt=None, code_size=code_size, layer_size=None)
    layer_size, opt = package(variant.layer_dir, folder, "opt")
    return Deployment(variant=variant, task=task, opt=opt, code_size=code_size, layer_size=layer_size)


def lambda_environment(
    deployment: Deployment, *, aws_endpoint_url: str, xray_daemon_address: str, service: dict[str, str]
) -> dict[str, str]:
    """What Lambda's Python runtime sets (tracing active), the local AWS endpoint, the service's settings."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(deployment.task),
        "_HANDLER": deployment.variant.handler,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": f"bench-{deployment.variant.name}",
        "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_ENDPOINT_URL": aws_endpoint_url,
        "AWS_XRAY_DAEMON_ADDRESS": xray_daemon_address,
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        **service,
    }


@contextmanager
def xray_sink() -> Iterator[str]:
    """A UDP socket swallowing the functions' X-Ray segments; yields its address (Lambda's daemon's)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        host, port = sink.getsockname()
        yield f"{host}:{port}"


@dataclass(frozen=True)
class ProbeOutcome:
    """What the probe measured, and the interpreter's stderr (``python -v`` writes its trace there)."""

    result: dict[str, Any]
    stderr: str


def run_probe(
    deployment: Deployment,
    config: dict[str, Any],
    environment: dict[str, str],
    *,
    flags: tuple[str, ...] = PROBE_FLAGS,
) -> ProbeOutcome:
    """Run the probe once in a fresh interpreter."""
    with tempfile.TemporaryDirectory(prefix="bench-probe-") as scratch:
        config_file = Path(scratch) / "config.json"
        result_file = Path(scratch) / "result.json"
        config_file.write_text(
            json.dumps({**config, "path": deployment.module_path, "result": str(result_file)})
        )
        command = [sys.executable, *flags, str(PROBE), str(config_file)]
        completed = subprocess.run(  # noqa: S603 - fixed argv
            command,
            env=environment,
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_SECONDS,
            check=False,
        )
        if completed.returncode != 0 or not result_file.exists():
            raise RuntimeError(
                f"probe of {deployment.variant.name} failed ({completed.returncode}):\n"
                f"{completed.stderr[-4000:]}\n{completed.stdout[-2000:]}"
            )
        return ProbeOutcome(result=json.loads(result_file.read_text()), stderr=completed.stderr)
