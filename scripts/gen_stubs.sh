#!/usr/bin/env bash
# Regenerates the Python stubs of proto/ into OUT (default: the repo root, i.e. package convsvc.v1).
# The generated package path follows the proto package (convsvc.v1), so generated imports resolve.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root}
py=${PYTHON:-$root/.venv/bin/python}
mkdir -p "$out/convsvc/v1"
"$py" -m grpc_tools.protoc -I"$root/proto" \
  --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" \
  $(cd "$root/proto" && find convsvc -name '*.proto' | sort)
printf '"""Generated from proto/convsvc/v1 by scripts/gen_stubs.sh; do not edit."""\n' > "$out/convsvc/v1/__init__.py"
