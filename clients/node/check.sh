#!/usr/bin/env bash
# Builds the Node.js client and runs it against the server at $CONVSVC_ADDRESS with the vectors in
# $CONVSVC_VECTORS: the node:test checks (one `PASS <check>` line each), then the `convert` example once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
: "${CONVSVC_ADDRESS:?set CONVSVC_ADDRESS to the server address (host:port)}"
: "${CONVSVC_VECTORS:?set CONVSVC_VECTORS to corpus/vectors}"

./build.sh

node --test-reporter=spec dist/test/protojson.test.js
node --test-reporter=spec dist/test/check.test.js

expected=$'a: 1\n'
came=$(echo '{"a": 1}' | node dist/bin/convert.js --target "$CONVSVC_ADDRESS" --from json --to yaml; echo .)
came=${came%.}  # keeps the output's trailing newline
if [[ "$came" != "$expected" ]]; then
  printf 'FAIL convert-example: expected %q, came %q\n' "$expected" "$came"
  exit 1
fi
echo "PASS convert-example (JSON to YAML through dist/bin/convert.js)"

# The snippet of docs/clients.md, its output byte for byte.
bash ../check_snippet.sh node dist/bin/snippet.js
