#!/usr/bin/env bash
# Builds the Go client: the pinned protoc plugins into .bin/ and buf (npm) when missing, the stubs of
# ../../proto into gen/ when an input changed, then the module (dependencies from the Go module proxy
# into the usual ~/go caches, checked against the committed go.sum). A second run takes a second.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$(cd ../.. && pwd)

PROTOC_GEN_GO_VERSION=v1.36.12   # = google.golang.org/protobuf in go.mod
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
BUF_VERSION=1.75.0               # = the Makefile's
BUF=$ROOT/.tools/npm/node_modules/.bin/buf
BIN=$PWD/.bin

command -v go >/dev/null || { echo "build.sh: the Go toolchain (go 1.26 or newer) is not on PATH" >&2; exit 1; }
export GOTOOLCHAIN=local  # never fetch another toolchain behind the build's back
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"

install_plugin() {  # install_plugin BINARY PACKAGE VERSION: go install unless .bin/BINARY is that version
    local have
    have=$("$BIN/$1" --version 2>/dev/null || true)
    [[ "$have" == "$1 $3" || "$have" == "$1 ${3#v}" ]] && return
    GOBIN=$BIN go install "$2@$3"
}
install_plugin protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOC_GEN_GO_VERSION"
install_plugin protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION"
if [[ "$("$BUF" --version 2>/dev/null || true)" != "$BUF_VERSION" ]]; then
    command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
    npm install --silent --no-save --no-audit --no-fund --prefix "$ROOT/.tools/npm" "@bufbuild/buf@$BUF_VERSION"
fi

# Regenerate only when the protos, the template or a tool changed (the stamp lists what gen/ came from).
inputs=$( (cd "$ROOT" && sha256sum proto/convsvc/v1/*.proto) ; sha256sum buf.gen.yaml;
          echo "$PROTOC_GEN_GO_VERSION $PROTOC_GEN_GO_GRPC_VERSION $BUF_VERSION")
if [[ "$(cat gen/.inputs 2>/dev/null || true)" != "$inputs" ]]; then
    rm -rf gen
    "$BUF" generate --template buf.gen.yaml
    printf '%s\n' "$inputs" >gen/.inputs
fi

go build -o "$BIN/convert" ./cmd/convert
go build -o "$BIN/snippet" ./cmd/snippet  # the docs/clients.md snippet
go vet ./...  # also compiles the live check, so check.sh starts testing at once
