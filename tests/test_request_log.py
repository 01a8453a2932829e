"""Request ids and the JSON access log, as seen from a client and in a real server's log."""

from __future__ import annotations

import re
import uuid

import grpc
import pytest

from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc
from tests.conftest import ServerProcess
from tests.serving import access_line, free_port, log_lines, trailers

JSON = pb.FormatSpec(format=pb.FORMAT_JSON)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    dead_store = {"CONVSVC_IDEMPOTENCY_STORE": "redis",  # a store that is down: its warning is logged mid-call
                  "CONVSVC_IDEMPOTENCY_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    server = ServerProcess(tmp_path_factory.mktemp("request-log"), env=dead_store)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stub(server):
    with grpc.insecure_channel(server.address) as channel:
        yield conversion_pb2_grpc.ConversionServiceStub(channel)


def convert(stub, payload: bytes, metadata=()):
    return stub.Convert.with_call(pb.ConvertRequest(source=JSON, target=JSON, payload=payload),
                                  metadata=list(metadata), timeout=10)


def test_a_given_request_id_comes_back_in_the_trailers_and_the_log(server, stub):
    _, call = convert(stub, b'{"a": 1}', [("x-request-id", "req-given-1")])
    assert trailers(call)["x-request-id"] == "req-given-1"
    line = access_line(server, "req-given-1")
    assert line["method"] == "/convsvc.v1.ConversionService/Convert"
    assert line["code"] == "OK" and line["principal"] == "anonymous"
    assert re.fullmatch(r"ipv[46]:.+:\d+", line["peer"])
    assert line["bytes_in"] > len(b'{"a": 1}') and line["bytes_out"] > len(b'{"a":1}')
    assert line["duration_ms"] >= 0 and line["level"] == "info" and line["ts"]


def test_a_refused_call_also_returns_its_request_id(server, stub):
    with pytest.raises(grpc.RpcError) as caught:
        convert(stub, b"[1,,2]", [("x-request-id", "req-refused-1")])
    assert trailers(caught.value)["x-request-id"] == "req-refused-1"
    assert "grpc-status-details-bin" in trailers(caught.value)  # the rich details are still there
    assert access_line(server, "req-refused-1")["code"] == "INVALID_ARGUMENT"


def test_a_call_refused_by_an_interceptor_also_returns_its_request_id(stub):
    with pytest.raises(grpc.RpcError) as caught:
        convert(stub, b"1", [("x-request-id", "req-bad-key"), ("idempotency-key", "bad")])
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert trailers(caught.value)["x-request-id"] == "req-bad-key"


def test_without_a_request_id_the_server_makes_one(stub):
    _, call = convert(stub, b"1")
    assert uuid.UUID(trailers(call)["x-request-id"])


@pytest.mark.parametrize("given", ['has spaces and "quotes"', "x" * 200])
def test_a_request_id_unfit_for_logs_is_replaced(stub, given):
    _, call = convert(stub, b"1", [("x-request-id", given)])
    assert uuid.UUID(trailers(call)["x-request-id"])


def test_every_log_line_written_during_a_call_carries_its_request_id(server, stub):
    convert(stub, b"1", [("x-request-id", "req-with-warning"), ("idempotency-key", str(uuid.uuid4()))])
    line = access_line(server, "req-with-warning")
    assert line["idempotency"] == "bypassed"
    warnings = [entry for entry in log_lines(server)
                if entry["level"] == "warning" and "running without it" in entry["msg"]]
    assert warnings and all("request_id" in entry for entry in warnings)
    assert "req-with-warning" in {entry["request_id"] for entry in warnings}
