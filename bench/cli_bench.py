"""4. CLI: `convsvc convert --from yaml --to json` against yq (`yq -p yaml -o json`), both as a person
runs them: start-up (a tiny document, median of several runs) and throughput (a 10 MB YAML file)."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bench import payloads  # noqa: E402
from bench.common import MiB, PYTHON, median, tool  # noqa: E402


def _timed(command: list[str], path: pathlib.Path, runs: int) -> tuple[float, bytes]:
    """Median wall seconds of `command < path` and its output."""
    times, output = [], b""
    for _ in range(runs):
        with open(path, "rb") as stdin:
            started = time.perf_counter()
            done = subprocess.run(command, stdin=stdin, capture_output=True)
            times.append(time.perf_counter() - started)
        if done.returncode:
            raise RuntimeError(f"{command[0]} failed: {done.stderr.decode(errors='replace')[-2000:]}")
        output = done.stdout
    return median(times), output


def run(full: bool, log) -> dict:
    yq = tool("yq")
    if yq is None:
        raise RuntimeError("yq is not installed: bench/tools.sh installs it into .tools/bin")
    convsvc = str(pathlib.Path(PYTHON).parent / "convsvc")
    ours = [convsvc, "convert", "--from", "yaml", "--to", "json"]
    theirs = [yq, "-p", "yaml", "-o", "json", "-I", "0", "-"]
    size = 10 * MiB if full else 256 * 1024
    with tempfile.TemporaryDirectory(prefix="convsvc-bench-cli-") as tmp_name:
        tmp = pathlib.Path(tmp_name)
        tiny = tmp / "tiny.yaml"
        tiny.write_bytes(b"a: 1\n")
        big = tmp / "big.yaml"
        from convsvc.engine import ConvertRequest, Engine, FormatSpec

        document = json.dumps({"orders": payloads.orders_array(size)}, ensure_ascii=False).encode()
        big.write_bytes(Engine().convert(ConvertRequest(FormatSpec("json"), FormatSpec("yaml"), document)).payload)
        runs = 7 if full else 3
        python_start, _ = _timed([PYTHON, "-c", "pass"], tiny, runs)  # the interpreter alone, for scale
        ours_start, _ = _timed(ours, tiny, runs)
        theirs_start, _ = _timed(theirs, tiny, runs)
        ours_big, ours_out = _timed(ours, big, 3 if full else 1)
        theirs_big, theirs_out = _timed(theirs, big, 3 if full else 1)
        mb = big.stat().st_size / MiB
    same = json.loads(ours_out) == json.loads(theirs_out)
    result = {
        "yq_version": subprocess.run([yq, "--version"], capture_output=True, text=True).stdout.strip(),
        "startup_ms": {"convsvc": ours_start * 1000, "yq": theirs_start * 1000, "python_alone": python_start * 1000},
        "startup_ratio": theirs_start / ours_start,
        "file_mb": mb,
        "throughput_mb_s": {"convsvc": mb / ours_big, "yq": mb / theirs_big},
        "throughput_ratio": theirs_big / ours_big,
        "same_output": same,
    }
    log(f"  start-up: convsvc {ours_start * 1000:.0f} ms, yq {theirs_start * 1000:.0f} ms "
        f"({result['startup_ratio']:.2f}x); {mb:.1f} MB: convsvc {result['throughput_mb_s']['convsvc']:.1f} MB/s, "
        f"yq {result['throughput_mb_s']['yq']:.1f} MB/s ({result['throughput_ratio']:.2f}x); same JSON: {same}")
    return result
