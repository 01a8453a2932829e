#!/usr/bin/env bash
# Builds the C++ client, then checks it against the live server at $CONVSVC_ADDRESS (host:port, plaintext)
# with the vectors in $CONVSVC_VECTORS: the `check` program prints one PASS line per check, then the
# example `convert` program converts {"a": 1} from JSON to YAML once.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/build.sh" >&2

: "${CONVSVC_ADDRESS:?set CONVSVC_ADDRESS to host:port of a running convsvc server}"
export CONVSVC_VECTORS="${CONVSVC_VECTORS:-$here/../../corpus/vectors}"

status=0
"$here/build/check" || status=$?

got="$(mktemp)"
trap 'rm -f "$got"' EXIT
if printf '{"a": 1}' | "$here/build/convert" --target "$CONVSVC_ADDRESS" --from json --to yaml >"$got" &&
   [[ "$(od -An -c "$got")" == "$(printf 'a: 1\n' | od -An -c)" ]]; then
  echo "example convert: {\"a\": 1} JSON -> YAML gave 'a: 1\\n'"
else
  echo "FAIL example convert: expected 'a: 1\\n', got:"
  od -An -c "$got"
  status=1
fi

# The snippet of docs/clients.md, its output byte for byte.
bash "$here/../check_snippet.sh" "$here/build/snippet" || status=1
exit "$status"
