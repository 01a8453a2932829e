"""Deadlines and cancellation against a real server: the work stops and the server's CPU goes idle."""

from __future__ import annotations

import time

import grpc
import pytest

from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc
from tests.conftest import ServerProcess
from tests.serving import access_lines, cpu_seconds, write_config

JSONL = pb.FormatSpec(format=pb.FORMAT_JSON, encoding="jsonl")
LINE = b'{"id": %d, "name": "record number %d", "tags": ["a", "b", "c"], "value": 12.5, "ok": true}\n'
BIG = b"".join(LINE % (n, n) for n in range(1_000_000))  # ~100 MB: about 20 s of work if nothing stops it
IDLE_CPU_SECONDS = 0.15  # what a server doing nothing may use in a second (health, timers), with room


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory):
    """Room for 100 MB payloads; unary calls get at most 1 s (the default when the client sets none)."""
    tmp = tmp_path_factory.mktemp("deadlines")
    config = write_config(tmp, "[limits]\nmax_message_bytes = 134217728\nmax_documents = 5000000\n"
                               "[deadlines]\ndefault_seconds = 1\nmax_seconds = 1\n")
    server = ServerProcess(tmp, "--config", str(config))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stub(slow_server):
    options = [("grpc.max_send_message_length", 256 << 20), ("grpc.max_receive_message_length", 256 << 20)]
    with grpc.insecure_channel(slow_server.address, options=options) as channel:
        yield conversion_pb2_grpc.ConversionServiceStub(channel)


def assert_goes_idle(server: ServerProcess) -> None:
    """Within a few seconds, a whole second passes in which the server uses (almost) no CPU."""
    pid = server.process.pid
    for _ in range(10):
        before = cpu_seconds(pid)
        time.sleep(1)
        if cpu_seconds(pid) - before < IDLE_CPU_SECONDS:
            return
    raise AssertionError("the server kept working after the call ended")


def test_a_100_mb_conversion_with_a_50_ms_deadline_ends_deadline_exceeded_and_the_server_goes_idle(stub,
                                                                                                   slow_server):
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as caught:
        stub.Convert(pb.ConvertRequest(source=JSONL, target=JSONL, payload=BIG), timeout=0.05)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 10  # sending 100 MB takes a moment; converting it would take ~20 s
    assert_goes_idle(slow_server)


def test_the_server_maximum_deadline_stops_a_long_conversion_midway(stub, slow_server):
    before = len(access_lines(slow_server))
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as caught:
        stub.Convert(pb.ConvertRequest(source=JSONL, target=JSONL, payload=BIG), timeout=120)  # clamped to 1 s
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "deadline of" in caught.value.details()
    assert time.monotonic() - started < 10
    assert_goes_idle(slow_server)
    line = access_lines(slow_server, wait_for=before + 1)[-1]
    assert line["code"] == "DEADLINE_EXCEEDED" and line["bytes_in"] > 90_000_000


def test_a_client_cancel_stops_the_conversion(stub, slow_server):
    future = stub.Convert.future(pb.ConvertRequest(source=JSONL, target=JSONL, payload=BIG), timeout=120)
    deadline = time.monotonic() + 10
    before = cpu_seconds(slow_server.process.pid)
    while cpu_seconds(slow_server.process.pid) - before < 0.3 and time.monotonic() < deadline:
        time.sleep(0.05)  # until the server is busy with it
    future.cancel()
    assert future.cancelled()
    assert_goes_idle(slow_server)


def test_a_client_deadline_shorter_than_the_default_is_kept(stub, slow_server):
    with pytest.raises(grpc.RpcError) as caught:
        stub.Convert(pb.ConvertRequest(source=JSONL, target=JSONL, payload=BIG[:20_000_000]), timeout=0.5)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_small_calls_within_their_deadline_are_untouched(stub):
    response = stub.Convert(pb.ConvertRequest(source=JSONL, target=JSONL, payload=b'{"a": 1}\n'), timeout=5)
    assert response.payload == b'{"a":1}\n'


def test_a_stream_past_its_deadline_ends_deadline_exceeded(tmp_path):
    config = write_config(tmp_path, "[deadlines]\nstream_default_seconds = 0.5\nstream_max_seconds = 0.5\n")
    server = ServerProcess(tmp_path, "--config", str(config))
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = conversion_pb2_grpc.ConversionServiceStub(channel)

            def requests():
                yield pb.ConvertStreamRequest(spec=pb.StreamSpec(source=JSONL, target=JSONL))
                yield pb.ConvertStreamRequest(record=b"[1]")
                time.sleep(1.5)  # the client goes quiet; the server's deadline ends the stream
                yield pb.ConvertStreamRequest(record=b"[2]")

            received = []
            with pytest.raises(grpc.RpcError) as caught:
                for response in stub.ConvertStream(requests(), timeout=30):
                    received.append(response.record)
            assert received == [b"[1]\n"]
            assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    finally:
        server.stop()
