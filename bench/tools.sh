#!/usr/bin/env bash
# Installs what the benchmarks need beyond the venv: ghz (load generator) and yq (the CLI baseline),
# both from the Go module proxy into .tools/bin, and the venv's bench extras (py-spy, pyinstrument,
# xmltodict, json-repair). Idempotent: does nothing that is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
GHZ_VERSION=${GHZ_VERSION:-v0.93.0}   # later tags carry replace directives `go install` refuses
YQ_VERSION=${YQ_VERSION:-v4.54.3}
py=${PYTHON:-$root/.venv/bin/python}
mkdir -p "$root/.tools/bin"
[[ -x $root/.tools/bin/ghz ]] || GOBIN=$root/.tools/bin go install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION"
[[ -x $root/.tools/bin/yq ]] || GOBIN=$root/.tools/bin go install "github.com/mikefarah/yq/v4@$YQ_VERSION"
"$py" -c 'import json_repair, pyinstrument, xmltodict' 2>/dev/null \
  || "$py" -m pip install -q -c "$root/constraints.txt" -e "$root[test,bench]"
