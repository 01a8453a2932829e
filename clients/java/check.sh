#!/usr/bin/env bash
# Builds, then checks the Java client against the server at $CONVSVC_ADDRESS (host:port, plaintext) with
# the vectors in $CONVSVC_VECTORS: the JUnit 5 tests print the five `PASS <check>` lines (or what was
# expected and what came, and fail), then the convert example runs once.
set -euo pipefail
: "${CONVSVC_ADDRESS:?set CONVSVC_ADDRESS to host:port of a running convsvc server}"
: "${CONVSVC_VECTORS:?set CONVSVC_VECTORS to the corpus/vectors directory}"
CONVSVC_VECTORS="$(cd "$CONVSVC_VECTORS" && pwd)"
export CONVSVC_ADDRESS CONVSVC_VECTORS
cd "$(dirname "$0")"

bash build.sh
# surefire:test runs the test classes build.sh compiled; the tests' stdout reaches ours.
mvn -q surefire:test 2>&1 | sed 's/\x1b\[[0-9;]*m//g'

output="$(mktemp)"
trap 'rm -f "$output"' EXIT
status=0
printf '{"a": 1}' | ./convert --target "$CONVSVC_ADDRESS" --from json --to yaml >"$output" || status=$?
if [ "$status" -ne 0 ] || [ "$(od -An -c "$output")" != "$(printf 'a: 1\n' | od -An -c)" ]; then
  echo "convert example: expected exit 0 and 'a: 1\\n', got exit $status and:"
  od -c "$output"
  exit 1
fi
echo "convert example: {\"a\": 1} -> a: 1"

# The snippet of docs/clients.md, its output byte for byte.
bash ../check_snippet.sh ./snippet
