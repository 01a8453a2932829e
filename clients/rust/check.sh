#!/usr/bin/env bash
# Builds, then runs the live-server test (tests/live_server.rs: one PASS line per check) and the
# `convert` example against the server at $CONVSVC_ADDRESS with the vectors in $CONVSVC_VECTORS.
set -euo pipefail
cd "$(dirname "$0")"
: "${CONVSVC_ADDRESS:?must be the server address, host:port}"
: "${CONVSVC_VECTORS:?must be the corpus/vectors folder}"
bash build.sh

cargo test --locked --quiet --test live_server

# The example program, byte for byte (the x keeps the trailing newline through $(...)).
got=$(echo '{"a": 1}' | cargo run --locked --quiet --bin convert -- --target "$CONVSVC_ADDRESS" --from json --to yaml; echo x)
got=${got%x}
if [ "$got" != $'a: 1\n' ]; then
    printf 'FAIL convert: expected %q, got %q\n' $'a: 1\n' "$got"
    exit 1
fi
echo 'convert: {"a": 1} as YAML is "a: 1\n"'

# The snippet of docs/clients.md, its output byte for byte (build.sh built it).
bash ../check_snippet.sh target/debug/snippet
