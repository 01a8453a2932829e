"""Benchmark of the tolerant JSON repairer: time per MB and peak memory on 1-64 MB broken documents,
and a comparison with the json-repair package on corpus/repair/.

    python bench/repair_bench.py                 # everything (about two minutes)
    python bench/repair_bench.py --sizes 1 4     # fewer sizes
    python bench/repair_bench.py --no-compare    # scaling only

Each size runs in a fresh child process, so its peak RSS is the repair's own (input + text + result).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import resource
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from convsvc.formats.repair import repair
from convsvc.model import Context, ConversionError, Mode

CORPUS = ROOT / "corpus" / "repair"
MiB = 1024 * 1024

# Records as a person or a model writes them: JS keys, Python literals, comments, stray commas.
_RECORDS = [
    ("  {id: %d, 'name': 'user %d', email: \"u%d@example.com\", // contact\n"
     "   score: %d.5, active: True, tags: ['a', 'b',], note: None,\n   nested: {x: 1 y: \"z\"},},\n"),
    ('  {"id": %d, "name": "user %d", "email": "u%d@example.com", "score": %d, "active": false,\n'
     '   "tags": ["c", "d"], "note": "line one\nline two", "ratio": NaN},\n'),
    ("  {'id': %d, 'name': 'O\\'Brien %d', 'email': 'u%d@example.com', 'score': %d, 'active': False,\n"
     "   'tags': [], 'note': 'it\\'s fine', 'nested': {'x': None}},\n"),
    ('  {"id": %d "name": "user %d" "email": "u%d@example.com" "score": %d /* no commas */\n'
     '   "active": true "tags": ["e" "f"] "path": "C:\\Users\\u\\x"}\n'),
]


def broken_document(size: int, seed: int = 7) -> bytes:
    """At most `size` bytes of one broken JSON array (fenced like an LLM answer), deterministic."""
    rng = random.Random(seed)
    head, tail = "Here is the data:\n```json\n[\n", "]\n```\n"
    parts = [head]
    length = len(head) + len(tail)
    index = 0
    while True:
        record = rng.choice(_RECORDS) % (index, index, index, rng.randrange(100))
        if length + len(record) > size:
            break
        parts.append(record)
        length += len(record)
        index += 1
    parts.append(tail)
    return "".join(parts).encode()


def repair_once(data: bytes) -> tuple[float, int]:
    ctx = Context(mode=Mode.ROBUST)
    started = time.perf_counter()
    repair(data, ctx)
    return time.perf_counter() - started, len(ctx.report)


def rss_bytes() -> int:
    """Peak RSS of this process so far. On Linux VmHWM, which starts afresh at exec (ru_maxrss keeps
    the parent's peak across fork and exec); elsewhere ru_maxrss (bytes on macOS)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def child(path: str) -> None:
    """Run in a fresh process: repair one file, print its timings and memory as JSON."""
    data = pathlib.Path(path).read_bytes()
    before = rss_bytes()
    runs = [repair_once(data) for _ in range(3 if len(data) <= 4 * MiB else 1)]
    seconds, issues = min(runs)
    print(json.dumps({"bytes": len(data), "seconds": seconds, "issues": issues,
                      "rss_before": before, "rss_peak": rss_bytes()}))


def valid_document(size: int) -> bytes:
    """The broken document's records as the strict JSON a repair gives (for the valid-input figures)."""
    records = repair(broken_document(size), Context(mode=Mode.ROBUST))
    return json.dumps(records, indent=1, ensure_ascii=False).encode()


def scaling(sizes: list[int], make=broken_document) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for megabytes in sizes:
            path = pathlib.Path(tmp) / f"doc-{megabytes}.json"
            path.write_bytes(make(megabytes * MiB))
            done = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                                  check=False)
            if done.returncode:
                raise RuntimeError(f"{megabytes} MB run failed:\n{done.stderr}")
            row = json.loads(done.stdout)
            row["mb"] = row["bytes"] / MiB
            row["s_per_mb"] = row["seconds"] / row["mb"]
            row["extra_mb"] = (row["rss_peak"] - row["rss_before"]) / MiB
            rows.append(row)
            path.unlink()
    return rows


# -- comparison with json-repair -------------------------------------------------------------------

def canonical(value) -> str:
    """Tells 1, 1.0 and true apart; NaN and Infinity (json-repair keeps them) are not JSON."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def ours(data: bytes):
    ctx = Context(mode=Mode.ROBUST)
    return repair(data, ctx), {issue.code.name for issue in ctx.report}


def theirs(data: bytes):
    import json_repair

    return json_repair.loads(data.decode("utf-8", "replace")), None


def outcome(function, data: bytes, expected: str) -> bool:
    try:
        value, _ = function(data)
        return canonical(value) == expected
    except (ConversionError, ValueError, TypeError, RecursionError):
        return False


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def strict_loads(data: bytes):
    """RFC 8259 JSON as the strict codec reads it: no BOM, no NaN/Infinity, no lone surrogates."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise ValueError("a byte order mark is not JSON")
    value = json.loads(data, parse_constant=_refuse_constant)
    canonical(value).encode("utf-8")  # UnicodeEncodeError (a ValueError) on a lone surrogate
    return value


def valid_inputs() -> list[tuple[str, bytes]]:
    """Inputs strict JSON accepts: JSONTestSuite y_ files and the valid corpus cases."""
    corpora = pathlib.Path(os.environ.get("CONVSVC_CORPORA", ROOT.parent / "shared" / "corpora"))
    suite = sorted((corpora / "JSONTestSuite" / "test_parsing").glob("y_*.json"))
    inputs = [(path.name, path.read_bytes()) for path in suite]
    for path in sorted(CORPUS.glob("*.in")):
        try:
            strict_loads(path.read_bytes())
        except ValueError:
            continue
        inputs.append((path.name, path.read_bytes()))
    return inputs


def compare() -> dict:
    try:
        import json_repair
        version = getattr(json_repair, "__version__", None)
        if version is None:
            from importlib.metadata import version as package_version
            version = package_version("json-repair")
    except ImportError:
        return {"missing": True}
    cases = sorted(path.name[:-3] for path in CORPUS.glob("*.in"))
    result = {"version": version, "cases": len(cases), "ours": 0, "theirs": 0, "only_theirs": [], "only_ours": []}
    timing = {"ours": 0.0, "theirs": 0.0}
    for name in cases:
        data = (CORPUS / f"{name}.in").read_bytes()
        expected = canonical(json.loads((CORPUS / f"{name}.expected.json").read_text(encoding="utf-8")))
        for who, function in (("ours", ours), ("theirs", theirs)):
            started = time.perf_counter()
            correct = outcome(function, data, expected)
            timing[who] += time.perf_counter() - started
            result[who] += correct
        if outcome(theirs, data, expected) and not outcome(ours, data, expected):
            result["only_theirs"].append(name)
        if outcome(ours, data, expected) and not outcome(theirs, data, expected):
            result["only_ours"].append(name)
    result["corpus_ms"] = {who: seconds * 1000 for who, seconds in timing.items()}

    changed = {"ours": [], "theirs": []}
    noted = []
    inputs = valid_inputs()
    for name, data in inputs:
        reference = canonical(strict_loads(data))
        for who, function in (("ours", ours), ("theirs", theirs)):
            try:
                value, issues = function(data)
                same = canonical(value) == reference
            except (ConversionError, ValueError, TypeError):
                same = False
            if not same:
                changed[who].append(name)
            if who == "ours" and issues - {"DUPLICATE_KEY"}:  # duplicates are noted by rule
                noted.append(name)
    result["valid_inputs"] = len(inputs)
    result["valid_changed"] = changed
    result["valid_noted"] = noted

    document = broken_document(1 * MiB)
    speed = {}
    for who, function in (("ours", ours), ("theirs", theirs)):
        started = time.perf_counter()
        value, _ = function(document)
        speed[who] = (time.perf_counter() - started) / (len(document) / MiB)
        speed[who + "_records"] = len(value)
    result["s_per_mb"] = speed
    return result


# -- report ----------------------------------------------------------------------------------------

def print_scaling(rows: list[dict]) -> None:
    print("| input | time | time per MB | MB/s | issues listed | peak extra RSS | RSS / input |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['mb']:.1f} MB | {row['seconds']:.2f} s | {row['s_per_mb']:.3f} s | {1 / row['s_per_mb']:.1f} "
              f"| {row['issues']} | {row['extra_mb']:.0f} MB | {row['extra_mb'] / row['mb']:.1f}x |")


def print_comparison(result: dict) -> None:
    if result.get("missing"):
        print("json-repair is not installed: pip install json-repair")
        return
    print(f"| | convsvc repair | json-repair {result['version']} |")
    print("|---|---:|---:|")
    print(f"| corpus/repair cases repaired to the expected value (of {result['cases']}) "
          f"| {result['ours']} | {result['theirs']} |")
    print(f"| valid inputs changed (of {result['valid_inputs']}) | {len(result['valid_changed']['ours'])} "
          f"| {len(result['valid_changed']['theirs'])} |")
    print(f"| time for the whole corpus | {result['corpus_ms']['ours']:.1f} ms "
          f"| {result['corpus_ms']['theirs']:.1f} ms |")
    speed = result["s_per_mb"]
    print(f"| time per MB, generated broken document | {speed['ours']:.2f} s | {speed['theirs']:.2f} s |")
    print(f"| records recovered from it | {speed['ours_records']} | {speed['theirs_records']} |")
    print()
    print("cases only json-repair gets right:", ", ".join(result["only_theirs"]) or "none")
    print("cases only convsvc gets right:", ", ".join(result["only_ours"]) or "none")
    print("valid inputs json-repair changed:", ", ".join(result["valid_changed"]["theirs"]) or "none")
    print("valid inputs convsvc changed:", ", ".join(result["valid_changed"]["ours"]) or "none")
    print("valid inputs convsvc noted issues on (other than DUPLICATE_KEY):", ", ".join(result["valid_noted"]) or "none")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1, 4, 16, 64], help="document sizes in MB")
    parser.add_argument("--no-compare", action="store_true", help="skip the json-repair comparison")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    print(f"Python {sys.version.split()[0]} on {sys.platform}\n")
    print("## Scaling on generated broken documents\n")
    print_scaling(scaling(args.sizes))
    print("\n## The same records as valid JSON (what a repair returns unchanged)\n")
    print_scaling(scaling([size for size in args.sizes if size <= 16], valid_document))
    if not args.no_compare:
        print("\n## Against json-repair\n")
        print_comparison(compare())


if __name__ == "__main__":
    main()
