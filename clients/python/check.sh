#!/usr/bin/env bash
# Runs the Python client's checks against the server at $CONVSVC_ADDRESS with the vectors in $CONVSVC_VECTORS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/build.sh"
py=${PYTHON:-$here/../../.venv/bin/python}
"$py" "$here/check.py"
got=$(printf '{"a": 1}' | "$py" "$here/convert.py" --target "$CONVSVC_ADDRESS" --from json --to yaml)
[ "$got" = "a: 1" ] || { echo "convert example: expected 'a: 1', got '$got'"; exit 1; }
echo "PASS example convert"
bash "$here/../check_snippet.sh" "$py" "$here/snippet.py"
