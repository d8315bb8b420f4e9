"""Regenerate docs/constructs.md's props tables and example from the code: ``python -m tools.constructs_doc``.

``--check`` exits 1, writing nothing, when the committed page differs from what the code gives.
"""

from __future__ import annotations

import sys

from tools.constructs_doc.render import DOC, render


def main(argv: list[str]) -> int:
    current = DOC.read_text()
    wanted = render(current)
    if "--check" in argv:
        if current != wanted:
            print(f"{DOC} is out of date: run python -m tools.constructs_doc", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(wanted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
