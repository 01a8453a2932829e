"""SIGTERM drains the server: health turns NOT_SERVING, in-flight calls finish, the process exits 0."""

from __future__ import annotations

import queue
import signal
import threading

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc
from tests.conftest import ServerProcess

JSONL = pb.FormatSpec(format=pb.FORMAT_JSON, encoding="jsonl")
STREAMS = 20
RECORDS_AFTER_SIGTERM = 30


class Stream:
    """A ConvertStream whose requests the test feeds one at a time."""

    def __init__(self, stub) -> None:
        self.requests: queue.Queue = queue.Queue()
        self.requests.put(pb.ConvertStreamRequest(spec=pb.StreamSpec(source=JSONL, target=JSONL)))
        self.call = stub.ConvertStream(iter(self.requests.get, None), timeout=60)

    def send(self, record: bytes) -> None:
        self.requests.put(pb.ConvertStreamRequest(record=record))

    def close(self) -> None:
        self.requests.put(None)


def test_sigterm_lets_every_in_flight_call_finish_and_exits_zero(tmp_path):
    server = ServerProcess(tmp_path, "--grace", "20")
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = conversion_pb2_grpc.ConversionServiceStub(channel)
            watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""), timeout=60)
            assert next(watch).status == health_pb2.HealthCheckResponse.SERVING

            streams = [Stream(stub) for _ in range(STREAMS)]
            for number, stream in enumerate(streams):  # each call is provably in flight: it answered once
                stream.send(b'{"stream": %d}' % number)
                assert next(stream.call).record == b'{"stream":%d}\n' % number

            # A burst of unary calls racing the signal: each must either finish or be refused cleanly.
            outcomes: list = []
            def unary_burst() -> None:
                for n in range(200):
                    try:
                        stub.Convert(pb.ConvertRequest(source=JSONL, target=JSONL, payload=b"[%d]\n" % n), timeout=30)
                        outcomes.append("ok")
                    except grpc.RpcError as error:
                        outcomes.append(error.code())
            burst = threading.Thread(target=unary_burst)
            burst.start()

            server.process.send_signal(signal.SIGTERM)
            assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING

            failures = 0
            for number, stream in enumerate(streams):
                for record in range(RECORDS_AFTER_SIGTERM):
                    stream.send(b'{"stream": %d, "record": %d}' % (number, record))
                stream.close()
                received = [response.record for response in stream.call]
                expected = [b'{"stream":%d,"record":%d}\n' % (number, r) for r in range(RECORDS_AFTER_SIGTERM)]
                failures += received != expected
            burst.join(60)
            assert failures == 0
            # Not provably in flight: a call that races the stop itself is refused, never half-done.
            assert outcomes and set(outcomes) <= {"ok", grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}
        assert server.process.wait(30) == 0
        assert "stopped" in server.log()
    finally:
        server.stop()
