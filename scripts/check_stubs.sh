#!/usr/bin/env bash
# Fails when the committed stubs in convsvc/v1 differ from what proto/ generates now.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$root/scripts/gen_stubs.sh" "$tmp"
if ! diff -r "$root/convsvc/v1" "$tmp/convsvc/v1" -x __pycache__ >/dev/null; then
  diff -r "$root/convsvc/v1" "$tmp/convsvc/v1" -x __pycache__ | head -40
  echo "stubs in convsvc/v1 are stale: run 'make stubs' and commit the result" >&2
  exit 1
fi
echo "stubs match proto/"
