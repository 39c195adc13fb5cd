#!/usr/bin/env bash
# Unit tests of the web side, no browser and no build needed:
#   web/tests/*.test.mjs      node --test: the worker's protocol and roles, build.mjs's
#                             wasm cut, the isolation headers' one source
#   web/python/tests/test_*.py  unittest under CPython 3.13+ (stdlib only): runtime.py,
#                             pool.py and threads.py with stand-ins for Pyodide
set -euo pipefail
cd "$(dirname "$0")/.."

# threads.py builds on threading's 3.13 internals (Pyodide runs 3.14).
python=""
for candidate in python3.14 python3.13 "$HOME"/.pyenv/versions/3.14*/bin/python3 "$HOME"/.pyenv/versions/3.13*/bin/python3 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 13))' 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "unit-web.sh: no CPython 3.13 or newer found for web/python/tests" >&2
  exit 1
fi

# No __pycache__ beside the sources.
export PYTHONDONTWRITEBYTECODE=1
status=0
echo "== web/tests (node --test)"
(cd web && node --test tests/) || status=1
echo "== web/python/tests ($("$python" --version))"
(cd web/python/tests && "$python" -m unittest discover -s . -p 'test_*.py') || status=1
exit $status
