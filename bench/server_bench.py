"""1. Server vs echo: Convert under load from ghz (another process) against the echo baseline, same
process model and payload: RPS, p50/p95/p99 (at the maximum rate and at 70 % of it), CPU and RSS per worker."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import subprocess
import tempfile

import grpc
from google.protobuf import json_format

from bench import payloads
from bench.common import PYTHON, ROOT, Goal, MiB, Sampler, tool
from bench.servers import Server, convsvc_server, echo_server
from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import registry_pb2, registry_pb2_grpc


@dataclasses.dataclass
class Scenario:
    name: str
    request: pb.ConvertRequest
    concurrency: int = 16
    connections: int = 8


def register_schemas(address: str) -> dict[str, int]:
    """The Order schemas in the server's registry: {"avro": id, "protobuf": id}."""
    with grpc.insecure_channel(address) as channel:
        stub = registry_pb2_grpc.SchemaRegistryServiceStub(channel)
        ids = {}
        for kind, text, schema_type in (("avro", payloads.ORDER_AVSC, pb.SCHEMA_TYPE_AVRO),
                                        ("protobuf", payloads.ORDER_PROTO, pb.SCHEMA_TYPE_PROTOBUF)):
            reply = stub.RegisterSchema(registry_pb2.RegisterSchemaRequest(
                subject=f"bench-order-{kind}", schema=registry_pb2.Schema(type=schema_type, text=text)), timeout=30)
            ids[kind] = reply.schema.id
        return ids


def scenarios(ids: dict[str, int], full: bool) -> list[Scenario]:
    """The issue's scenarios; smoke mode keeps json->avro only."""
    from convsvc.engine import ConvertRequest, Engine, FormatSpec, SchemaRef

    json_spec = pb.FormatSpec(format=pb.FORMAT_JSON)
    avro_by_id = pb.FormatSpec(format=pb.FORMAT_AVRO, schema=pb.SchemaRef(id=ids["avro"]))
    record = payloads.order_json(1)
    out = [Scenario("json→avro 1 KB (schema by id)",
                    pb.ConvertRequest(source=json_spec, target=avro_by_id, payload=record))]
    if not full:
        return out
    engine = Engine()
    inline_avro = FormatSpec("avro", schema=SchemaRef(inline_text=payloads.ORDER_AVSC, inline_type="avro"))
    avro_record = engine.convert(ConvertRequest(FormatSpec("json"), inline_avro, record)).payload
    yaml_record = engine.convert(ConvertRequest(FormatSpec("json"), FormatSpec("yaml"), record)).payload
    xml_record = engine.convert(ConvertRequest(FormatSpec("json"), FormatSpec("xml", options={"root": "order"}),
                                               record)).payload
    big_jsonl = payloads.orders_jsonl(1 * MiB)
    big_yaml = engine.convert(ConvertRequest(FormatSpec("json", "jsonl"), FormatSpec("yaml"), big_jsonl)).payload
    out += [
        Scenario("avro→json 1 KB (schema by id)",
                 pb.ConvertRequest(source=avro_by_id, target=json_spec, payload=avro_record)),
        Scenario("yaml→json 1 KB", pb.ConvertRequest(source=pb.FormatSpec(format=pb.FORMAT_YAML), target=json_spec,
                                                     payload=yaml_record)),
        Scenario("json→protobuf 1 KB (schema by id)",
                 pb.ConvertRequest(source=json_spec, target=pb.FormatSpec(
                     format=pb.FORMAT_PROTOBUF, schema=pb.SchemaRef(id=ids["protobuf"]),
                     message_type=payloads.ORDER_MESSAGE), payload=record)),
        Scenario("xml→json 1 KB", pb.ConvertRequest(
            source=pb.FormatSpec(format=pb.FORMAT_XML, options={"root": "order"}), target=json_spec,
            payload=xml_record)),
        Scenario("json→avro 1 MB (JSON Lines → OCF, by id)", pb.ConvertRequest(
            source=pb.FormatSpec(format=pb.FORMAT_JSON, encoding="jsonl"),
            target=pb.FormatSpec(format=pb.FORMAT_AVRO, encoding="ocf", schema=pb.SchemaRef(id=ids["avro"])),
            payload=big_jsonl), concurrency=4, connections=4),
        Scenario("yaml→json 1 MB (stream → JSON Lines)", pb.ConvertRequest(
            source=pb.FormatSpec(format=pb.FORMAT_YAML), target=pb.FormatSpec(format=pb.FORMAT_JSON, encoding="jsonl"),
            payload=big_yaml), concurrency=4, connections=4),
    ]
    return out


def protoset(tmp: pathlib.Path) -> pathlib.Path:
    path = tmp / "convsvc.protoset"
    subprocess.run([PYTHON, "-m", "grpc_tools.protoc", f"-I{ROOT / 'proto'}", "--include_imports",
                    f"--descriptor_set_out={path}", "convsvc/v1/conversion.proto"], check=True, cwd=ROOT)
    return path


def ghz(server: Server, descriptor: pathlib.Path, data: pathlib.Path, scenario: Scenario, seconds: float,
        rps: float | None = None, warm_up: bool = False) -> dict:
    """One ghz run with the server's workers sampled: throughput, latency percentiles, CPU, RSS."""
    command = [tool("ghz"), "--protoset", str(descriptor), "--call", "convsvc.v1.ConversionService.Convert",
               "--data-file", str(data), "--insecure", "--connections", str(scenario.connections),
               "--concurrency", str(scenario.concurrency), "--duration", f"{seconds}s", "--timeout", "60s",
               "--format", "json"]
    if rps:
        command += ["--rps", str(max(1, int(rps)))]
    with Sampler(server.pids) as sample:
        done = subprocess.run([*command, server.address], capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"ghz failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    ok = report["statusCodeDistribution"].get("OK", 0)
    errors = {code: n for code, n in report["statusCodeDistribution"].items() if code != "OK"}
    # ghz cancels the calls in flight when the duration ends ("transport is closing"): not failures.
    refused = {code: n for code, n in errors.items() if code not in ("Unavailable", "Canceled")}
    if refused or (ok == 0 and not warm_up):
        raise RuntimeError(f"{scenario.name}: calls failed: {report.get('errorDistribution')}")
    if ok == 0:
        return {"rps": 0.0, "ok": 0}
    seconds_total = report["total"] / 1e9
    latency = {f"p{row['percentage']}": row["latency"] / 1e6 for row in report.get("latencyDistribution") or []}
    cpu = sum(sample.cpu.values())
    return {
        "rps": ok / seconds_total, "ok": ok, "cut_at_end": sum(errors.values()),
        "p50_ms": latency.get("p50"), "p95_ms": latency.get("p95"), "p99_ms": latency.get("p99"),
        "cpu_ms_per_call": cpu * 1000 / ok,
        "workers": [{"pid": pid, "cpu_percent": 100 * sample.cpu[pid] / sample.seconds,
                     "peak_rss_mb": sample.peak_rss(pid) / MiB} for pid in server.pids],
    }


def balanced(server: Server, descriptor: pathlib.Path, data: pathlib.Path, scenario: Scenario, seconds: float,
             rps: float | None = None, tries: int = 3) -> dict:
    """ghz(), run again (at most `tries` times) when the kernel put (nearly) every connection on one
    worker: SO_REUSEPORT spreads connections by a hash, and a few connections can all land on one."""
    for attempt in range(1, tries + 1):
        result = ghz(server, descriptor, data, scenario, seconds, rps)
        shares = [worker["cpu_percent"] for worker in result["workers"]]
        if len(shares) < 2 or min(shares) >= 0.25 * max(shares) or attempt == tries:
            result["attempts"] = attempt
            return result


def run(full: bool, workers: int, seconds: float, log) -> dict:
    if tool("ghz") is None:
        raise RuntimeError("ghz is not installed: bench/tools.sh installs it into .tools/bin")
    with tempfile.TemporaryDirectory(prefix="convsvc-bench-") as tmp_name:
        tmp = pathlib.Path(tmp_name)
        descriptor = protoset(tmp)
        with convsvc_server(tmp / "convsvc", workers) as convsvc, echo_server(tmp / "echo", workers) as echo, \
                echo_server(tmp / "echo-layers", workers, layers=True) as layered:
            ids = register_schemas(convsvc.address)
            rows = []
            for scenario in scenarios(ids, full):
                data = tmp / "request.json"
                data.write_text(json_format.MessageToJson(scenario.request))
                warm = scenario
                ghz(convsvc, descriptor, data, warm, min(2.0, seconds), warm_up=True)  # compiled schemas
                ghz(echo, descriptor, data, warm, min(1.0, seconds), warm_up=True)
                ghz(layered, descriptor, data, warm, min(1.0, seconds), warm_up=True)
                baseline = balanced(echo, descriptor, data, scenario, seconds)
                echo_70 = balanced(echo, descriptor, data, scenario, seconds, rps=0.7 * baseline["rps"])
                with_layers = balanced(layered, descriptor, data, scenario, seconds)
                at_max = balanced(convsvc, descriptor, data, scenario, seconds)
                at_70 = balanced(convsvc, descriptor, data, scenario, seconds, rps=0.7 * at_max["rps"])
                row = {
                    "scenario": scenario.name, "payload_bytes": len(scenario.request.payload),
                    "echo": baseline, "echo_at_70_percent": echo_70, "echo_with_layers": with_layers,
                    "convert": at_max,
                    "convert_at_70_percent": at_70,
                    "rps_ratio": at_max["rps"] / baseline["rps"],
                    "layers_rps_ratio": with_layers["rps"] / baseline["rps"],
                    "p99_over_p50_at_70_percent": at_70["p99_ms"] / at_70["p50_ms"],
                    "echo_p99_over_p50_at_70_percent": echo_70["p99_ms"] / echo_70["p50_ms"],
                    "peak_rss_mb_per_worker": max(worker["peak_rss_mb"] for run in (at_max, at_70)
                                                  for worker in run["workers"]),
                }
                log(f"  {scenario.name}: {at_max['rps']:.0f} rps vs echo {baseline['rps']:.0f} "
                    f"({row['rps_ratio']:.2f}x; echo with convsvc's layers {row['layers_rps_ratio']:.2f}x); "
                    f"p99/p50 at 70 %: {row['p99_over_p50_at_70_percent']:.2f} (echo's: "
                    f"{row['echo_p99_over_p50_at_70_percent']:.2f}); "
                    f"peak RSS {row['peak_rss_mb_per_worker']:.0f} MB")
                rows.append(row)
    first = rows[0]
    goals = [
        Goal("Convert json→avro RPS ÷ echo RPS", first["rps_ratio"], 0.85),
        *[Goal(f"p99 ÷ p50 at 70 % of max rate: {row['scenario']}", row["p99_over_p50_at_70_percent"], 3.0,
               at_least=False, note=f"the echo's own at 70 % of its max: {row['echo_p99_over_p50_at_70_percent']:.1f}")
          for row in rows],
        Goal("peak RSS per worker under load (every scenario)", max(row["peak_rss_mb_per_worker"] for row in rows),
             100.0, at_least=False, unit="MB"),
    ]
    return {"workers": workers, "seconds_per_run": seconds, "scenarios": rows, "goals": goals}
