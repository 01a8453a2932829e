#!/usr/bin/env bash
# Builds the Rust client: build.rs generates the stubs from ../../proto (protox + tonic-prost-build +
# pbjson-build) into target/, then the `convert` and `snippet` programs and the live-server test. Needs
# only cargo and crates.io; a second run with nothing changed takes about a second.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v cargo >/dev/null; then
    echo "build.sh: cargo not found (install Rust with rustup)" >&2
    exit 1
fi
# --locked: the committed Cargo.lock is the dependency set; `cargo test --no-run` also builds the bins.
cargo test --locked --no-run --quiet
