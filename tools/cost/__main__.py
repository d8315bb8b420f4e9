"""``python -m tools.cost ENV [--requests N] [ASSEMBLY]`` (``make cost``): an environment's monthly bill.

Reads the environment's stacks from a synthesized assembly (``cdk.out``, which ``make cost`` synthesizes
first); ``all`` prints every environment side by side, then each in detail.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cdk_app.config import ENVIRONMENTS
from serverless_fastapi_cdk.toolkit.local_api.assembly import StageAssembly
from tools.cost.profile import item_bytes
from tools.cost.report import DEFAULT_REQUESTS, Estimate, comparison, detail, estimate

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    names = [config.name for config in ENVIRONMENTS]
    parser = argparse.ArgumentParser(prog="python -m tools.cost", description=__doc__)
    parser.add_argument("environment", choices=[*names, "all"])
    parser.add_argument(
        "--requests", type=int, default=DEFAULT_REQUESTS, help="per month (default: 1,000,000)"
    )
    parser.add_argument("assembly", nargs="?", type=Path, default=ROOT / "cdk.out", help="default: cdk.out")
    options = parser.parse_args(argv)
    chosen = names if options.environment == "all" else [options.environment]
    size = item_bytes()
    results: dict[str, Estimate] = {}
    for config in ENVIRONMENTS:
        if config.name not in chosen:
            continue
        templates = {
            stack.stack_name: stack.template for stack in StageAssembly(options.assembly, config.name).stacks
        }
        results[config.name] = estimate(
            config.name, templates, region=config.region, requests=options.requests, item_size=size
        )
    if len(results) > 1:
        print(comparison(results), end="\n\n")
    print("\n\n".join(detail(result) for result in results.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
