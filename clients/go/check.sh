#!/usr/bin/env bash
# The Go client against a live server: build, then the Go test of check_test.go (one "PASS <check>"
# line per check) and one run of the example program. Needs CONVSVC_ADDRESS (host:port, plaintext);
# CONVSVC_VECTORS defaults to ../../corpus/vectors.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
: "${CONVSVC_ADDRESS:?set CONVSVC_ADDRESS to host:port of a convsvc server}"
export CONVSVC_VECTORS="${CONVSVC_VECTORS:-$(cd ../.. && pwd)/corpus/vectors}"

bash build.sh >&2
GOTOOLCHAIN=local go test -mod=readonly -count=1 -v .

# The example program, as docs/clients.md shows it: JSON in, YAML out.
expected=$'a: 1\n'
got=$(echo '{"a": 1}' | .bin/convert --target "$CONVSVC_ADDRESS" --from json --to yaml; printf .)
got=${got%.}
if [[ "$got" != "$expected" ]]; then
    printf 'convert example: expected %q, got %q\n' "$expected" "$got"
    exit 1
fi
printf 'convert example: %q\n' "$got"

# The snippet of docs/clients.md, its output byte for byte.
bash ../check_snippet.sh .bin/snippet
