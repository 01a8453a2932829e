"""2. Stream vs in-process: ConvertStream of N records (JSON Lines in 64 KiB chunks -> Avro binary
records, schema inline) through the server, against the same engine and codecs called in process on
the same chunks; the worker's RSS is sampled all along (memory must stay flat)."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bench import payloads  # noqa: E402
from bench.common import PYTHON, Goal, MiB, Sampler  # noqa: E402
from bench.servers import convsvc_server  # noqa: E402

CHUNK = 64 * 1024
FLAT_MB = 16.0  # "flat": the worker's RSS in the last tenth of the stream at most this much above the first tenth


def chunks(records: int):
    """The stream's input: JSON Lines events cut into CHUNK-byte pieces (anywhere, mid-record too)."""
    buffer = bytearray()
    for number in range(records):
        buffer += payloads.event_json(number)
        buffer += b"\n"
        if len(buffer) >= CHUNK:
            yield bytes(buffer[:CHUNK])
            del buffer[:CHUNK]
    if buffer:
        yield bytes(buffer)


def specs():
    from convsvc.engine import FormatSpec, SchemaRef

    return FormatSpec("json", "jsonl"), FormatSpec("avro", schema=SchemaRef(inline_text=payloads.EVENT_AVSC,
                                                                             inline_type="avro"))


def in_process(records: int) -> dict:
    """The baseline: Engine.open_stream fed the same chunks, in this (fresh) process."""
    from convsvc.engine import Engine
    from convsvc.model import Mode

    source, target = specs()
    stream = Engine().open_stream(source, target, Mode.FRAGILE)
    count = out_bytes = 0
    started = time.perf_counter()
    for chunk in chunks(records):
        for record in stream.feed_chunk(chunk):
            count += 1
            out_bytes += len(record.payload)
    for record in stream.finish():
        count += 1
        out_bytes += len(record.payload)
    seconds = time.perf_counter() - started
    return {"records": count, "seconds": seconds, "records_per_second": count / seconds, "bytes_out": out_bytes}


def client(address: str, records: int) -> dict:
    """The load: one ConvertStream, chunks in, records out (run in its own process)."""
    import grpc

    from convsvc.v1 import conversion_pb2 as pb
    from convsvc.v1 import conversion_pb2_grpc

    def requests():
        yield pb.ConvertStreamRequest(spec=pb.StreamSpec(
            source=pb.FormatSpec(format=pb.FORMAT_JSON, encoding="jsonl"),
            target=pb.FormatSpec(format=pb.FORMAT_AVRO, schema=pb.SchemaRef(
                inline=pb.InlineSchema(type=pb.SCHEMA_TYPE_AVRO, text=payloads.EVENT_AVSC)))))
        for chunk in chunks(records):
            yield pb.ConvertStreamRequest(chunk=chunk)

    with grpc.insecure_channel(address) as channel:
        stub = conversion_pb2_grpc.ConversionServiceStub(channel)
        count = out_bytes = 0
        started = time.perf_counter()
        for response in stub.ConvertStream(requests(), timeout=3600):
            if response.WhichOneof("result") != "record":
                raise RuntimeError(f"record {response.index} refused: {response.error.message}")
            count += 1
            out_bytes += len(response.record)
        seconds = time.perf_counter() - started
    return {"records": count, "seconds": seconds, "records_per_second": count / seconds, "bytes_out": out_bytes}


def _child(kind: str, records: int, address: str = "") -> dict:
    command = [PYTHON, __file__, kind, str(records), address]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def run(records: int, log) -> dict:
    baseline = _child("in-process", records)
    log(f"  in process: {baseline['records_per_second']:.0f} records/s")
    with tempfile.TemporaryDirectory(prefix="convsvc-bench-stream-") as tmp_name:
        with convsvc_server(pathlib.Path(tmp_name), 1) as server:  # one stream is one worker's work
            worker = server.pids[0]
            with Sampler([worker], every=0.25) as sample:
                served = _child("client", records, server.address)
            rss = sample.samples[worker]
    if served["records"] != records or baseline["records"] != records or served["bytes_out"] != baseline["bytes_out"]:
        raise RuntimeError(f"stream and in-process outputs differ: {served} vs {baseline}")
    start, end = rss[0][0], rss[-1][0]
    tenth = (end - start) / 10
    first = max(value for when, value in rss if when <= start + tenth) / MiB
    last = max(value for when, value in rss if when >= end - tenth) / MiB
    ratio = served["records_per_second"] / baseline["records_per_second"]
    log(f"  ConvertStream: {served['records_per_second']:.0f} records/s ({ratio:.2f}x); worker RSS "
        f"{first:.0f} MB in the first tenth, {last:.0f} MB in the last")
    result = {
        "records": records, "chunk_bytes": CHUNK, "in_process": baseline, "stream": served,
        "throughput_ratio": ratio, "worker_rss_mb_first_tenth": first, "worker_rss_mb_last_tenth": last,
        "worker_rss_mb_peak": max(value for _, value in rss) / MiB, "worker_cpu_seconds": sample.cpu[worker],
        "rss_growth_mb": last - first,
    }
    result["goals"] = [
        Goal("ConvertStream throughput ÷ in-process", ratio, 0.6),
        Goal("worker RSS growth over the stream (last tenth − first tenth)", last - first, FLAT_MB,
             at_least=False, unit="MB"),
    ]
    return result


if __name__ == "__main__":
    kind, count = sys.argv[1], int(sys.argv[2])
    if kind == "in-process":
        print(json.dumps(in_process(count)))
    else:
        print(json.dumps(client(sys.argv[3], count)))
