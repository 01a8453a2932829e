"""Profiles of the hot paths: py-spy on a serving worker under ghz load (the whole call path: gRPC,
interceptors, servicer, engine, codecs), and pyinstrument on the engine alone for each scenario.

    python bench/profiles.py                      # every profile, into bench/results/profiles/
    python bench/profiles.py --only server --seconds 10

Each profile is summarised as the functions with the most samples, by own time and by inclusive
time (bench/results/profiles/*.txt); the raw py-spy stacks (collapsed, flamegraph input) sit beside them.
"""

from __future__ import annotations

import argparse
import collections
import pathlib
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bench import payloads, server_bench  # noqa: E402
from bench.common import MiB, RESULTS, tool  # noqa: E402
from bench.servers import Server, convsvc_server, echo_server  # noqa: E402

PROFILES = RESULTS / "profiles"


RATE = 200  # py-spy samples per second


def summarise(collapsed: pathlib.Path, top: int = 25, calls: float | None = None) -> str:
    """Own and inclusive sample counts per function from py-spy's collapsed stacks, after the samples
    by part of a call (`_part`), in wall-clock microseconds per call when the number of calls is known."""
    own: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    parts: collections.Counter = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        count = int(count)
        frames = [_short(frame) for frame in stack.split(";")]
        total += count
        own[frames[-1]] += count
        parts[_part(frames)] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"{total} samples", "", "by part:"]
    for part, n in parts.most_common():
        per_call = f"  {n / RATE / calls * 1e6:7.1f} µs per call" if calls else ""
        lines.append(f"  {100 * n / total:5.1f} %{per_call}  {part}")
    lines += ["", "own time (the function itself):"]
    lines += [f"  {100 * n / total:5.1f} %  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "inclusive time (the function and what it calls):"]
    lines += [f"  {100 * n / total:5.1f} %  {frame}" for frame, n in inclusive.most_common(top)]
    return "\n".join(lines) + "\n"


_HANDLER_CODE = ("engine.py", "formats/", "model/", "schemas/", "registry/", "wire.py")


def _part(frames: list[str]) -> str:
    """Which part of serving a call a sample is in: the handler (servicer, engine, codecs), convsvc's
    layers (interceptors, access log, metrics), grpc.aio's own Cython (no Python frame of its own, so
    counted as the event loop callback running it), its other threads, or the loop waiting."""
    if any(frame.startswith(("ConversionService.", "SchemaRegistryService.", "child.<locals>.Echo."))
           or any(f"(convsvc/{where}" in frame for where in _HANDLER_CODE) for frame in frames):
        return "handler: servicer, engine, codecs (on the loop or a worker thread)"
    if any("server/interceptors/" in frame or "server/logs.py" in frame or "prometheus_client/" in frame
           for frame in frames):
        return "convsvc's layers: interceptors, access log, metrics"
    if frames[-1].startswith("Handle._run "):
        return "grpc.aio's per-call work in Cython (Handle._run's own time)"
    if frames[-1].startswith("EpollSelector.select "):
        return "event loop waiting (select)"
    if frames[0].startswith("Thread._bootstrap "):
        return "other threads (grpc.aio's poller)"
    return "other event loop and asyncio Python"


def _short(frame: str) -> str:
    """`function (path/to/file.py:line)` with the path from site-packages or the repo, no line."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


def server_profile(seconds: float, count: int = 6, workers: int = 1) -> list[pathlib.Path]:
    """py-spy on a worker while ghz drives each scenario at the maximum rate; then the same on the echo
    with convsvc's interceptor stack (json->avro 1 KB request), where nothing but gRPC and the layers runs."""
    if tool("py-spy") is None:
        raise RuntimeError("py-spy is not installed (pip install -c constraints.txt -e '.[bench]')")
    from google.protobuf import json_format

    written = []
    with tempfile.TemporaryDirectory(prefix="convsvc-profile-") as tmp_name:
        tmp = pathlib.Path(tmp_name)
        descriptor = server_bench.protoset(tmp)
        with convsvc_server(tmp / "convsvc", workers) as server:
            ids = server_bench.register_schemas(server.address)
            for scenario in server_bench.scenarios(ids, full=True)[:count]:
                data = tmp / "request.json"
                data.write_text(json_format.MessageToJson(scenario.request))
                written += _record(server, descriptor, data, scenario, seconds, f"server-{_slug(scenario.name)}",
                                   f"one worker serving Convert {scenario.name}")
        first = server_bench.scenarios(ids, full=False)[0]
        data = tmp / "request.json"
        data.write_text(json_format.MessageToJson(first.request))
        with echo_server(tmp / "echo-layers", workers, layers=True) as layered:
            written += _record(layered, descriptor, data, first, seconds, "server-echo-layers-1-kb",
                               "one worker of the echo with convsvc's interceptor stack and access log (1 KB)")
    return written


def _record(server: Server, descriptor: pathlib.Path, data: pathlib.Path, scenario, seconds: float, name: str,
            title: str) -> list[pathlib.Path]:
    """py-spy on the server's first worker while ghz loads it: the raw stacks and their summary."""
    server_bench.ghz(server, descriptor, data, scenario, 2.0, warm_up=True)
    raw = PROFILES / f"{name}.collapsed"
    measured: dict = {}
    load = threading.Thread(target=lambda: measured.update(
        server_bench.ghz(server, descriptor, data, scenario, seconds + 2)))
    load.start()
    subprocess.run([tool("py-spy"), "record", "--pid", str(server.pids[0]), "--duration", str(int(seconds)),
                    "--rate", "200", "--format", "raw", "--output", str(raw), "--nonblocking"],
                   check=True, capture_output=True)
    load.join()
    summary = PROFILES / f"{name}.txt"
    rate = (f"ghz meanwhile: {measured['rps']:.0f} calls/s, {measured['cpu_ms_per_call']:.3f} ms of CPU per call "
            f"({len(server.pids)} worker(s)); py-spy samples the first at 200 Hz\n\n") if measured else ""
    calls = measured["rps"] * seconds if measured else None  # about: ghz runs 2 s longer than py-spy
    summary.write_text(f"py-spy, {title} under ghz load\n" + (rate or "\n") + summarise(raw, calls=calls))
    return [summary, raw]


def engine_profiles() -> list[pathlib.Path]:
    """pyinstrument on Engine.convert alone, per scenario payload (the codecs without gRPC)."""
    from pyinstrument import Profiler

    from convsvc.engine import ConvertRequest, Engine, FormatSpec, SchemaRef

    engine = Engine()
    avro = FormatSpec("avro", schema=SchemaRef(inline_text=payloads.ORDER_AVSC, inline_type="avro"))
    proto = FormatSpec("protobuf", schema=SchemaRef(inline_text=payloads.ORDER_PROTO, inline_type="protobuf"),
                       message_type=payloads.ORDER_MESSAGE)
    record = payloads.order_json(1)
    jsonl = payloads.orders_jsonl(1 * MiB)
    convert = lambda source, target, data: engine.convert(ConvertRequest(source, target, data))  # noqa: E731
    avro_record = convert(FormatSpec("json"), avro, record).payload
    yaml_big = convert(FormatSpec("json", "jsonl"), FormatSpec("yaml"), jsonl).payload
    protojson = FormatSpec("protobuf", "json", schema=proto.schema, message_type=payloads.ORDER_MESSAGE)
    proto_record = convert(FormatSpec("json"), proto, record).payload
    protojson_record = convert(proto, protojson, proto_record).payload
    import json

    xml_big = convert(FormatSpec("json"), FormatSpec("xml"), json.dumps(
        {"orders": {"order": payloads.orders_array(1 * MiB)}}, ensure_ascii=False).encode()).payload
    cases = {
        "json-avro-1kb": (FormatSpec("json"), avro, record, 3000),
        "avro-json-1kb": (avro, FormatSpec("json"), avro_record, 3000),
        "json-protobuf-1kb": (FormatSpec("json"), proto, record, 3000),
        "jsonl-avro-ocf-1mb": (FormatSpec("json", "jsonl"), FormatSpec("avro", "ocf", schema=avro.schema), jsonl, 5),
        "yaml-json-1mb": (FormatSpec("yaml"), FormatSpec("json", "jsonl"), yaml_big, 5),
        "protobuf-protojson-1kb": (proto, protojson, proto_record, 3000),
        "protojson-protobuf-1kb": (protojson, proto, protojson_record, 3000),
        "xml-json-1mb": (FormatSpec("xml"), FormatSpec("json"), xml_big, 5),
    }
    written = []
    for name, (source, target, data, times) in cases.items():
        convert(source, target, data)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(times):
            convert(source, target, data)
        profiler.stop()
        path = PROFILES / f"engine-{name}.txt"
        path.write_text(f"pyinstrument, Engine.convert {name} x{times}\n\n"
                        + profiler.output_text(unicode=True, color=False, show_all=False))
        written.append(path)
    return written


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower().replace("→", "-")).strip("-").replace("--", "-")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("server", "engine"))
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--scenarios", type=int, default=7, help="server profiles of the first N scenarios")
    args = parser.parse_args()
    PROFILES.mkdir(parents=True, exist_ok=True)
    written = []
    if args.only in (None, "engine"):
        written += engine_profiles()
    if args.only in (None, "server"):
        written += server_profile(args.seconds, args.scenarios)
    for path in written:
        print(path.relative_to(RESULTS.parent.parent))


if __name__ == "__main__":
    main()
