"""Run the benchmarks and write bench/results/<mode>.json and <mode>.md (every figure a ratio to a
baseline measured in the same run; every goal of the issue marked met or NOT MET).

    python bench/run.py --mode full                 # for people: about 15-20 minutes on 2 cores
    python bench/run.py --mode smoke                # for CI: seconds per benchmark, so they never rot
    python bench/run.py --mode full --only server,glue
    python bench/run.py --mode smoke --only server --seconds 10 --out /tmp/b   # json->avro alone, 10 s runs

Exit status: 0 when every benchmark ran (goals not met included: the table says so), 1 when one
failed to run, and with --strict also 1 when a goal was not met.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import sys
import time
import traceback

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bench import cli_bench, glue_bench, server_bench, stream_bench  # noqa: E402
from bench.common import RESULTS, Goal, fmt, table, verdict  # noqa: E402

BENCHMARKS = ("server", "stream", "glue", "cli")
MODES = {
    # seconds per ghz run, stream records
    "smoke": {"seconds": 1.5, "records": 20_000},
    "full": {"seconds": 10.0, "records": 1_000_000},
}


def log(message: str) -> None:
    print(message, flush=True)


def run(mode: str, only: list[str], workers: int) -> dict:
    settings = MODES[mode]
    full = mode == "full"
    results: dict = {
        "mode": mode, "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_average_at_start": os.getloadavg()},
        "benchmarks": {}, "errors": {},
    }
    steps = {
        "server": lambda: server_bench.run(full, workers, settings["seconds"], log),
        "stream": lambda: stream_bench.run(settings["records"], log),
        "glue": lambda: glue_bench.run(full, log),
        "cli": lambda: cli_bench.run(full, log),
    }
    for name in only:
        log(f"{name}:")
        started = time.monotonic()
        try:
            results["benchmarks"][name] = steps[name]()
        except Exception as error:  # one broken benchmark must not hide the others' figures
            results["errors"][name] = f"{type(error).__name__}: {error}"
            log(f"  FAILED: {results['errors'][name]}")
            traceback.print_exc()
        results.setdefault("seconds", {})[name] = round(time.monotonic() - started, 1)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    return results


def _jsonable(value):
    if isinstance(value, Goal):
        return value.as_dict()
    raise TypeError(type(value))


def goals_of(results: dict) -> list[dict]:
    out = []
    for name in BENCHMARKS:
        for goal in results["benchmarks"].get(name, {}).get("goals", []):
            out.append({"benchmark": name, **(goal.as_dict() if isinstance(goal, Goal) else goal)})
    return out


def markdown(results: dict) -> str:
    b = results["benchmarks"]
    machine = results["machine"]
    lines = [f"# Benchmark results ({results['mode']} mode)", "",
             f"Run {results['started']} · Python {machine['python']} · {machine['cpus']} CPUs · load average "
             f"{machine['load_average_at_start'][0]:.1f} at start, {machine['load_average_at_end'][0]:.1f} at end "
             "(a shared machine: absolute figures are noisy, so every figure that counts is a ratio to a baseline "
             "measured in the same run). Regenerate: `bench/bench.sh` (full) or `bench/smoke.sh`.", "",
             "## Goals", ""]
    rows = []
    for goal in goals_of(results):
        comparison = "≥" if goal["comparison"] == ">=" else "≤"
        measured = fmt(goal["value"], goal["unit"]) + (f" ({goal['note']})" if goal.get("note") else "")
        rows.append([goal["name"], measured, f"{comparison} {fmt(goal['target'], goal['unit'])}",
                     verdict(goal["met"])])
    lines += [table(["goal", "measured", "target", "verdict"], rows), ""]
    for name, started in results.get("kept_from_earlier_run", {}).items():
        lines += [f"*{name}: figures of the run of {started} (this run did not repeat it).*", ""]
    for name, error in results["errors"].items():
        lines += [f"**{name} did not run:** `{error}`", ""]
    if "server" in b:
        s = b["server"]
        lines += [f"## 1. Server vs echo ({s['workers']} workers each, ghz from another process, "
                  f"{s['seconds_per_run']:.0f} s per run)", "",
                  "RPS at the maximum rate (ghz, no rate limit); latency at the maximum rate and at 70 % of it; "
                  "CPU per call and peak RSS per worker. *Echo + layers*: the echo with convsvc's interceptor stack "
                  "and access log, to show where the time goes.", ""]
        rows = []
        for row in s["scenarios"]:
            echo, layered, convert, at70 = row["echo"], row["echo_with_layers"], row["convert"], row["convert_at_70_percent"]
            rows.append([row["scenario"], f"{echo['rps']:.0f}", f"{layered['rps']:.0f} ({row['layers_rps_ratio']:.2f}×)",
                         f"{convert['rps']:.0f}", f"**{row['rps_ratio']:.2f}×**",
                         f"{convert['p50_ms']:.1f} / {convert['p95_ms']:.1f} / {convert['p99_ms']:.1f}",
                         f"{at70['p50_ms']:.1f} / {at70['p95_ms']:.1f} / {at70['p99_ms']:.1f}",
                         f"**{row['p99_over_p50_at_70_percent']:.1f}** "
                         f"({row.get('echo_p99_over_p50_at_70_percent', float('nan')):.1f})",
                         f"{echo['cpu_ms_per_call']:.2f} / {convert['cpu_ms_per_call']:.2f}",
                         ", ".join(f"{w['cpu_percent']:.0f} %" for w in convert["workers"]),
                         f"{row['peak_rss_mb_per_worker']:.0f}"])
        lines += [table(["scenario", "echo RPS", "echo + layers RPS", "Convert RPS", "Convert ÷ echo",
                         "p50/p95/p99 ms at max", "p50/p95/p99 ms at 70 %", "p99 ÷ p50 at 70 % (echo's)",
                         "CPU ms per call echo / Convert", "CPU per worker at max", "peak RSS per worker MB"], rows), ""]
    if "stream" in b:
        s = b["stream"]
        lines += [f"## 2. ConvertStream vs in process ({s['records']:,} records, JSON Lines → Avro)", "",
                  table(["", "records/s", "ratio"],
                        [["in process (Engine.open_stream, same chunks)", f"{s['in_process']['records_per_second']:.0f}", "1.00×"],
                         ["ConvertStream through the server (one worker, client in another process)",
                          f"{s['stream']['records_per_second']:.0f}", f"**{s['throughput_ratio']:.2f}×**"]]), "",
                  f"Worker RSS: {s['worker_rss_mb_first_tenth']:.0f} MB in the first tenth of the stream, "
                  f"{s['worker_rss_mb_last_tenth']:.0f} MB in the last, {s['worker_rss_mb_peak']:.0f} MB at most.", ""]
    if "glue" in b:
        g = b["glue"]
        lines += ["## 3. Against today's glue (in process, best of 5 rounds)", "",
                  table(["comparison", "input", "convsvc", "glue", "glue ÷ convsvc"],
                        [[row["comparison"].split(":")[1].strip() + " — " + row["comparison"].split(":")[0],
                          f"{row['input_bytes'] / 1024:.1f} KB", f"{row['convsvc_ms']:.3f} ms", f"{row['glue_ms']:.3f} ms",
                          f"**{row['speedup']:.2f}×**"] for row in g["rows"]]), "",
                  f"json-repair {g['repair']['json_repair_version']}: timed on the {g['repair']['cases']} "
                  "corpus/repair cases it repairs to the expected value.", ""]
    if "cli" in b:
        c = b["cli"]
        lines += ["## 4. CLI: `convsvc convert --from yaml --to json` vs yq", "",
                  table(["", "convsvc", "yq", "yq time ÷ convsvc time"],
                        [["start-up (tiny document, median)", f"{c['startup_ms']['convsvc']:.0f} ms",
                          f"{c['startup_ms']['yq']:.0f} ms", f"**{c['startup_ratio']:.2f}×**"],
                         [f"{c['file_mb']:.1f} MB YAML file", f"{c['throughput_mb_s']['convsvc']:.1f} MB/s",
                          f"{c['throughput_mb_s']['yq']:.1f} MB/s", f"**{c['throughput_ratio']:.2f}×**"]]), "",
                  f"{c['yq_version']}; same JSON from both: {c['same_output']}. For scale: `python -c pass` "
                  f"takes {c['startup_ms'].get('python_alone', float('nan')):.0f} ms here.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=tuple(MODES), default="full")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated: " + ", ".join(BENCHMARKS))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="server processes (default: cores)")
    parser.add_argument("--out", default=str(RESULTS), help="directory for <mode>.json and <mode>.md")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    parser.add_argument("--seconds", type=float, help="seconds per ghz run (default: the mode's)")
    args = parser.parse_args()
    if args.seconds:
        MODES[args.mode] = {**MODES[args.mode], "seconds": args.seconds}
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(only) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    results = run(args.mode, only, args.workers)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    previous = out / f"{args.mode}.json"
    if set(only) != set(BENCHMARKS) and previous.exists():  # a partial run updates the last full one
        earlier = json.loads(previous.read_text())
        for name in BENCHMARKS:
            if name not in only and name in earlier.get("benchmarks", {}):
                results["benchmarks"][name] = earlier["benchmarks"][name]
                results.setdefault("kept_from_earlier_run", {})[name] = (
                    earlier.get("kept_from_earlier_run", {}).get(name) or earlier.get("started"))
    results["goals"] = goals_of(results)
    (out / f"{args.mode}.json").write_text(json.dumps(results, indent=2, default=_jsonable, ensure_ascii=False) + "\n")
    (out / f"{args.mode}.md").write_text(markdown(results))
    log(f"wrote {out / args.mode}.json and .md")
    for goal in results["goals"]:
        log(f"  {verdict(goal['met']).strip('*'):>12}  {goal['name']}: {fmt(goal['value'], goal['unit'])}")
    if results["errors"]:
        return 1
    if args.strict and any(goal["met"] is False for goal in results["goals"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
