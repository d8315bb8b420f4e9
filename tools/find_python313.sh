#!/usr/bin/env bash
# Prints the path of a working Python 3.13 interpreter, or explains what to install.
# Order: $PYTHON, python3.13 on PATH (a pyenv shim counts only if it really runs), pyenv's 3.13.
set -euo pipefail

works() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1; }

for candidate in "${PYTHON:-}" "$(command -v python3.13 || true)"; do
  if works "$candidate"; then echo "$candidate"; exit 0; fi
done
if command -v pyenv >/dev/null 2>&1; then
  prefix=$(pyenv prefix 3.13 2>/dev/null || true)
  if [ -z "$prefix" ]; then
    latest=$(pyenv versions --bare 2>/dev/null | grep -E '^3\.13(\.[0-9]+)?$' | sort -V | tail -n 1 || true)
    [ -n "$latest" ] && prefix=$(pyenv prefix "$latest" 2>/dev/null || true)
  fi
  if works "${prefix:-}/bin/python3.13"; then echo "$prefix/bin/python3.13"; exit 0; fi
fi
cat >&2 <<'MSG'
error: Python 3.13 is required (AWS Lambda runs python3.13) but none was found.
Install one of:
  - pyenv:            pyenv install 3.13
  - Debian / Ubuntu:  apt-get install python3.13 python3.13-venv
  - macOS (Homebrew): brew install python@3.13
or point PYTHON at one: make test PYTHON=/path/to/python3.13
MSG
exit 1
