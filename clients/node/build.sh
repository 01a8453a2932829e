#!/usr/bin/env bash
# Builds the Node.js client: `npm ci` when package-lock.json changed, the stubs (ts-proto through buf, from
# ../../proto and google-proto-files' google/rpc) when a proto or the generator changed, then tsc (incremental).
# A run with nothing changed does no npm or buf work.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "build.sh: installing Node.js and npm (Debian packages)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2
fi

fingerprint() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

# Dependencies, exactly as locked; npm's own cache (~/.npm) keeps a cold rebuild off the network.
deps=$(fingerprint package-lock.json)
if [[ "$(cat node_modules/.convsvc-lock.sha256 2>/dev/null)" != "$deps" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$deps" > node_modules/.convsvc-lock.sha256
fi

# Stubs and the descriptor set the ProtoJSON cross-check reads, regenerated from scratch when an input changed.
mapfile -t protos < <(find ../../proto -name '*.proto' | LC_ALL=C sort)
stubs=$(fingerprint "${protos[@]}" buf.gen.yaml package-lock.json)
if [[ "$(cat src/gen/.inputs.sha256 2>/dev/null)" != "$stubs" ]]; then
  rm -rf src/gen dist
  node_modules/.bin/buf generate
  node_modules/.bin/buf build ../../proto --as-file-descriptor-set -o src/gen/convsvc.binpb
  echo "$stubs" > src/gen/.inputs.sha256
fi

node_modules/.bin/tsc -p .
chmod +x dist/bin/convert.js
