#!/usr/bin/env bash
# The full benchmark run (for people; about 20 minutes on 2 cores): bench/results/full.{json,md},
# then the profiles behind bench/README.md's findings (bench/results/profiles/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-$root/.venv/bin/python}
"$root/bench/tools.sh"
"$py" "$root/bench/run.py" --mode full "$@"
"$py" "$root/bench/profiles.py"
