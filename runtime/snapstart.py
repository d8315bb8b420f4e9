"""SnapStart runtime hooks: what must not outlive a snapshot is dropped when Lambda restores one.

With SnapStart, Lambda runs the init code once per published version, snapshots the process, and starts
every execution environment of that version from the snapshot. Anything created before the snapshot is
shared by all of them: the AWS session (its credentials), clients with their connection pools, and the
cached cursor secret. :func:`runtime.aws.restored` forgets all of these and makes the DynamoDB client
again, with the credentials Lambda serves the restored environment, before the first request; the
AWS SDK's service models, read at INIT, stay in the snapshot. The token issuer's keys in the snapshot
may be days old: :func:`runtime.identity.configure` downloads them again in the background, the old
ones serving meanwhile.

The registry, ``snapshot_restore_py``, is part of Lambda's managed Python runtimes; where it is absent
(a local run without it) there is nothing to restore from and nothing is registered.
"""

from __future__ import annotations

import importlib

from runtime import aws, identity

RUNTIME_HOOKS_MODULE = "snapshot_restore_py"


def register_restore_hooks() -> bool:
    """Have Lambda call :func:`runtime.aws.restored` and :func:`runtime.identity.configure` after
    every restore; False where there are no hooks."""
    try:
        hooks = importlib.import_module(RUNTIME_HOOKS_MODULE)
    except ModuleNotFoundError:
        return False
    hooks.register_after_restore(aws.restored)
    hooks.register_after_restore(identity.configure)
    return True
