#!/usr/bin/env bash
# The benchmarks in smoke mode (seconds each; CI runs this so they never rot): every benchmark must
# run and write bench/results/smoke.{json,md}; goals not met do not fail it (the figures are noise here).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/bench/tools.sh"
exec "${PYTHON:-$root/.venv/bin/python}" "$root/bench/run.py" --mode smoke "$@"
