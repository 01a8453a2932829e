"""/metrics scraped from real server processes after real calls: exact counts, also across processes."""

from __future__ import annotations

import urllib.request

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc
from tests.conftest import ServerProcess
from tests.serving import MetricsServer, sample

JSON = pb.FormatSpec(format=pb.FORMAT_JSON)
JSONL = pb.FormatSpec(format=pb.FORMAT_JSON, encoding="jsonl")
CONVERT = {"grpc_type": "unary", "grpc_service": "convsvc.v1.ConversionService", "grpc_method": "Convert"}
STREAM = {"grpc_type": "bidi_stream", "grpc_service": "convsvc.v1.ConversionService",
          "grpc_method": "ConvertStream"}


def make_calls(address: str) -> None:
    """2 conversions that work (one repaired), 1 refused, 1 stream of 3 records (1 refused even in ROBUST:
    a lone surrogate), 1 health check."""
    with grpc.insecure_channel(address) as channel:
        stub = conversion_pb2_grpc.ConversionServiceStub(channel)
        stub.Convert(pb.ConvertRequest(source=JSON, target=JSON, payload=b'{"a": 1}'), timeout=10)
        stub.Convert(pb.ConvertRequest(source=JSON, target=JSON, payload=b'{"a":1,"a":2}', mode=pb.MODE_ROBUST),
                     timeout=10)
        with pytest.raises(grpc.RpcError):
            stub.Convert(pb.ConvertRequest(source=JSON, target=JSON, payload=b"[1,,2]"), timeout=10)
        requests = [pb.ConvertStreamRequest(spec=pb.StreamSpec(source=JSON, target=JSONL, mode=pb.MODE_ROBUST)),
                    pb.ConvertStreamRequest(record=b"[1]"), pb.ConvertStreamRequest(record=b'["\\ud800"]'),
                    pb.ConvertStreamRequest(record=b"[22]")]
        assert len(list(stub.ConvertStream(iter(requests), timeout=10))) == 3
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)


def test_a_scrape_after_real_calls_counts_each_of_them_exactly(tmp_path):
    server = MetricsServer(tmp_path)
    try:
        make_calls(server.address)
        m = server.scrape()
    finally:
        server.stop()
    assert sample(m, "grpc_server_started_total", **CONVERT) == 3
    assert sample(m, "grpc_server_handled_total", **CONVERT, grpc_code="OK") == 2
    assert sample(m, "grpc_server_handled_total", **CONVERT, grpc_code="InvalidArgument") == 1
    assert sample(m, "grpc_server_msg_received_total", **CONVERT) == 3
    assert sample(m, "grpc_server_msg_sent_total", **CONVERT) == 2
    assert sample(m, "grpc_server_handling_seconds_count", **CONVERT) == 3
    assert sample(m, "grpc_server_handling_seconds_bucket", **CONVERT, le="+Inf") == 3
    assert sample(m, "grpc_server_handled_total", **STREAM, grpc_code="OK") == 1
    assert sample(m, "grpc_server_msg_received_total", **STREAM) == 4  # the spec and 3 records
    assert sample(m, "grpc_server_msg_sent_total", **STREAM) == 3
    assert sample(m, "grpc_server_handled_total", grpc_type="unary", grpc_service="grpc.health.v1.Health",
                  grpc_method="Check", grpc_code="OK") == 1

    def conversions(mode: str, outcome: str) -> float:  # one per Convert call, one per stream record
        return sample(m, "convsvc_conversions_total", source="json", target="json", mode=mode, outcome=outcome)

    assert (conversions("fragile", "ok"), conversions("fragile", "refused")) == (1, 1)
    assert (conversions("robust", "ok"), conversions("robust", "refused")) == (1 + 2, 1)
    assert sample(m, "convsvc_repairs_total", code="DUPLICATE_KEY") == 1
    payload_in = (len(b'{"a": 1}') + len(b'{"a":1,"a":2}') + len(b"[1,,2]")
                  + len(b"[1]") + len(b'["\\ud800"]') + len(b"[22]"))
    payload_out = len(b'{"a":1}') + len(b'{"a":2}') + len(b"[1]\n") + len(b"[22]\n")
    assert sample(m, "convsvc_bytes_total", direction="in") == payload_in
    assert sample(m, "convsvc_bytes_total", direction="out") == payload_out


def test_the_registry_counter_is_exported_before_the_registry_produces_any(tmp_path):
    server = MetricsServer(tmp_path)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=10) as response:
            text = response.read().decode()
    finally:
        server.stop()
    assert "# TYPE convsvc_registry_operations_total counter" in text
    assert "# TYPE convsvc_idempotency_total counter" in text


def test_in_multiprocess_mode_one_endpoint_adds_up_every_process(tmp_path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(shared)}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    scraped = MetricsServer(tmp_path / "a", env=env)
    other = ServerProcess(tmp_path / "b", env=env)  # no endpoint of its own: its samples go to the shared dir
    try:
        make_calls(scraped.address)
        make_calls(other.address)
        m = scraped.scrape()
    finally:
        scraped.stop()
        other.stop()
    assert sample(m, "grpc_server_started_total", **CONVERT) == 6
    assert sample(m, "grpc_server_handled_total", **CONVERT, grpc_code="InvalidArgument") == 2
    assert sample(m, "grpc_server_handling_seconds_count", **CONVERT) == 6
    assert sample(m, "convsvc_repairs_total", code="DUPLICATE_KEY") == 2


def test_metrics_port_0_turns_the_endpoint_off(tmp_path):
    server = ServerProcess(tmp_path, "--metrics-port", "0")
    try:
        assert "metrics on" not in server.log()
    finally:
        server.stop()
