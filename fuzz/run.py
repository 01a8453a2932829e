"""Run the fuzz harnesses (atheris/libFuzzer) one after another and report executions per harness.

    .venv/bin/python fuzz/run.py --seconds 600            every harness 10 minutes (make fuzz)
    .venv/bin/python fuzz/run.py --smoke                  about a minute in all (CI)
    .venv/bin/python fuzz/run.py --seconds 60 json yaml   some harnesses
    .venv/bin/python fuzz/run.py --runs 1000000 avro      a number of executions instead of a time

Each harness starts from its seeds (fuzz/corpus/NAME, read only) plus the inputs earlier runs found
(in $CONVSVC_FUZZ_DIR, default /tmp/convsvc-fuzz, NAME/corpus). A crash, a hang past --timeout seconds
or a process over --rss-mb MiB stops that harness; the input is saved as NAME/artifacts/crash-… (or
timeout-…, oom-…) and the run exits 1. Reproduce with `.venv/bin/python fuzz/fuzz_NAME.py FILE`, then
add FILE to tests/hostile/regressions/NAME/ so `make test` replays it forever.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
HARNESSES = ("json", "repair", "yaml", "avro", "protobuf", "xml", "roundtrip")
SMOKE_SECONDS = 60


def run_one(name: str, args: argparse.Namespace, work: pathlib.Path) -> dict:
    corpus, artifacts = work / name / "corpus", work / name / "artifacts"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    log_path = work / name / "log.txt"
    limit = [f"-runs={args.runs}"] if args.runs else [f"-max_total_time={args.seconds}"]
    command = [sys.executable, str(HERE / f"fuzz_{name}.py"), str(corpus), str(HERE / "corpus" / name), *limit,
               f"-timeout={args.timeout}", f"-rss_limit_mb={args.rss_mb}", f"-max_len={args.max_len}",
               "-print_final_stats=1", f"-artifact_prefix={artifacts}/", *args.libfuzzer]
    started = time.monotonic()
    before = set(artifacts.iterdir())
    with open(log_path, "wb") as log:
        code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT, cwd=HERE.parent,
                               env={**os.environ, "PYTHONHASHSEED": "0"})
    elapsed = time.monotonic() - started
    text = log_path.read_text(errors="replace")
    executed = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)
    done = re.findall(r"Done (\d+) runs", text)
    runs = int(executed[-1]) if executed else int(done[-1]) if done else 0
    # crash-, timeout-, oom-, leak-: findings (slow-unit- files only say an input was slow, e.g. under load)
    found = sorted(path for path in set(artifacts.iterdir()) - before if not path.name.startswith("slow-unit-"))
    return {"name": name, "code": code, "runs": runs, "seconds": elapsed, "corpus": sum(1 for _ in corpus.iterdir()),
            "artifacts": found, "log": log_path}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("harness", nargs="*", choices=[[], *HARNESSES], default=[])
    parser.add_argument("--seconds", type=int, default=60, help="per harness (default 60)")
    parser.add_argument("--runs", type=int, default=0, help="executions per harness instead of a time")
    parser.add_argument("--smoke", action="store_true", help=f"every harness, {SMOKE_SECONDS} s in all")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take (a hang)")
    parser.add_argument("--rss-mb", type=int, default=2048, help="memory the process may reach (a leak/bomb)")
    parser.add_argument("--max-len", type=int, default=4096, help="largest input the fuzzer makes")
    parser.add_argument("--libfuzzer", action="append", default=[], help="an extra libFuzzer flag (repeatable)")
    args = parser.parse_args()
    names = args.harness or list(HARNESSES)
    if args.smoke:
        args.seconds, args.runs = max(1, SMOKE_SECONDS // len(names) - 2), 0  # ~2 s of start-up each
    work = pathlib.Path(os.environ.get("CONVSVC_FUZZ_DIR", "/tmp/convsvc-fuzz"))
    failed = False
    print(f"{'harness':<10} {'seconds':>8} {'executions':>11} {'exec/s':>8} {'corpus':>7}  result", flush=True)
    for name in names:
        result = run_one(name, args, work)
        rate = result["runs"] / result["seconds"] if result["seconds"] else 0
        bad = result["code"] != 0 or result["artifacts"]
        failed |= bool(bad)
        verdict = "ok" if not bad else "FAILED: " + (", ".join(map(str, result["artifacts"])) or
                                                    f"exit {result['code']}, see {result['log']}")
        with open(work / "history.tsv", "a") as history:  # every run, for the executions reached in all
            history.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')}\t{name}\t{result['runs']}\t{result['seconds']:.0f}\t"
                          f"{'ok' if not bad else 'FAILED'}\n")
        print(f"{name:<10} {result['seconds']:>8.0f} {result['runs']:>11} {rate:>8.0f} {result['corpus']:>7}  {verdict}",
              flush=True)
        if bad:
            print("\n".join(result["log"].read_text(errors="replace").splitlines()[-40:]), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
