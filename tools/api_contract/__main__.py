"""``python -m tools.api_contract [--check]`` (``make docs``): write the contract to docs/api/openapi.json.

With ``--check`` it writes nothing and exits 1 when the committed file differs from the code's document.
"""

from __future__ import annotations

import argparse
import sys

from tools.api_contract.documents import CONTRACT_FILE, ROOT, contract, render, stage_documents


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.api_contract", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when the committed file is stale")
    options = parser.parse_args(argv)
    documents = stage_documents()
    text = render(contract(documents))
    target = ROOT / CONTRACT_FILE
    current = target.read_text() if target.exists() else None
    stages = ", ".join(documents)
    if current == text:
        print(f"unchanged {CONTRACT_FILE} (served by {stages})")
        return 0
    if options.check:
        print(f"{CONTRACT_FILE} is stale: run `make docs`", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    print(f"wrote {CONTRACT_FILE} (served by {stages})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
