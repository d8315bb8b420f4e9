"""``python -m tools.docs [ASSEMBLY]`` (``make docs``): regenerate the generated parts of the docs.

Reads every environment's stage from a synthesized assembly (``cdk.out``, which ``make docs`` synthesizes
first) and builds the app once more, unsynthesized, for its cdk-nag acknowledgements.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cdk_app.config import ENVIRONMENTS
from serverless_fastapi_cdk.toolkit.cloud_assembly import CloudAssembly
from tools.docs.nag import ROOT, acknowledgements, app_with_subscribers
from tools.docs.pages import Sources, generated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.docs", description=__doc__)
    parser.add_argument("assembly", nargs="?", type=Path, default=ROOT / "cdk.out", help="default: cdk.out")
    options = parser.parse_args(argv)
    assembly = CloudAssembly(options.assembly)
    stages = {
        config.name: {stack.stack_name: stack.template for stack in assembly.stage_stacks(config.name)}
        for config in ENVIRONMENTS
    }
    sources = Sources(root=ROOT, stages=stages, acknowledgements=acknowledgements(app_with_subscribers()))
    for path, content in generated(sources).items():
        target = ROOT / path
        current = target.read_text() if target.exists() else None
        if current != content:
            target.write_text(content)
            print(f"wrote {path}")
        else:
            print(f"unchanged {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
