#!/usr/bin/env bash
# Runs one client's snippet program (the docs/clients.md snippet) against the server at $CONVSVC_ADDRESS
# and compares its stdout byte for byte with clients/snippet.expected, the same for every language.
#   bash ../check_snippet.sh COMMAND [ARG...]   (the address is appended as the last argument)
# Prints `PASS snippet`, or the difference and exits 1.
set -euo pipefail
: "${CONVSVC_ADDRESS:?set CONVSVC_ADDRESS to host:port of a running convsvc server}"
expected="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/snippet.expected"
got="$(mktemp)"
trap 'rm -f "$got"' EXIT

status=0
"$@" "$CONVSVC_ADDRESS" >"$got" || status=$?
if ((status == 0)) && cmp -s "$expected" "$got"; then
  echo "PASS snippet (its output is clients/snippet.expected, byte for byte)"
  exit 0
fi
echo "FAIL snippet: exit status $status; expected (clients/snippet.expected) and came:"
diff -u --label expected --label came "$expected" "$got" || true
exit 1
