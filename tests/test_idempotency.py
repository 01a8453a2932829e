"""Idempotency keys as a client sees them, against real server processes (SQLite by default, and Redis)."""

from __future__ import annotations

import concurrent.futures
import signal
import uuid

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc
from tests.conftest import ServerProcess
from tests.serving import MetricsServer, access_lines, free_port, redis_url, sample, trailers, write_config

JSON = pb.FormatSpec(format=pb.FORMAT_JSON)
JSONL = pb.FormatSpec(format=pb.FORMAT_JSON, encoding="jsonl")
# ~1.5 MB of JSON Lines: a conversion long enough (a few hundred ms) for duplicates to arrive mid-way.
SLOW = b"".join(b'{"id": %d, "name": "record %d", "tags": ["a", "b"]}\n' % (n, n) for n in range(30_000))


def new_key() -> str:
    return str(uuid.uuid4())


def convert(stub, payload: bytes, key: str | None, source=JSONL, target=JSONL, timeout: float = 30):
    metadata = [("idempotency-key", key)] if key else []
    return stub.Convert.with_call(pb.ConvertRequest(source=source, target=target, payload=payload),
                                  metadata=metadata, timeout=timeout)


def details(error: grpc.RpcError) -> dict[str, object]:
    found = {}
    for detail in rpc_status.from_call(error).details:
        for message in (error_details_pb2.ErrorInfo(), error_details_pb2.PreconditionFailure(),
                        error_details_pb2.RetryInfo(), error_details_pb2.BadRequest(), pb.Report()):
            if detail.Is(message.DESCRIPTOR):
                detail.Unpack(message)
                found[type(message).__name__] = message
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = MetricsServer(tmp_path_factory.mktemp("idempotency"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stub(server):
    with grpc.insecure_channel(server.address) as channel:
        yield conversion_pb2_grpc.ConversionServiceStub(channel)


def test_100_concurrent_duplicates_run_the_conversion_once_and_all_get_its_answer(server, stub):
    before = server.scrape()
    key = new_key()
    with concurrent.futures.ThreadPoolExecutor(100) as pool:
        results = list(pool.map(lambda _: convert(stub, SLOW, key), range(100)))
    payloads = {response.payload for response, _ in results}
    assert len(payloads) == 1 and next(iter(payloads)).count(b"\n") == 30_000
    replayed = [trailers(call).get("idempotent-replayed") for _, call in results]
    assert replayed.count("true") == 99 and replayed.count(None) == 1
    after = server.scrape()
    ran = (sample(after, "convsvc_conversions_total", source="json", target="json", mode="fragile", outcome="ok")
           - sample(before, "convsvc_conversions_total", source="json", target="json", mode="fragile",
                    outcome="ok"))
    assert ran == 1
    for result, count in (("stored", 1), ("replayed", 99)):
        assert (sample(after, "convsvc_idempotency_total", result=result)
                - sample(before, "convsvc_idempotency_total", result=result)) == count


def test_a_key_reused_with_a_different_body_is_failed_precondition(stub):
    key = new_key()
    convert(stub, b'{"a": 1}\n', key)
    with pytest.raises(grpc.RpcError) as caught:
        convert(stub, b'{"a": 2}\n', key)
    error = caught.value
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    found = details(error)
    assert (found["ErrorInfo"].reason, found["ErrorInfo"].domain) == ("IDEMPOTENCY_KEY_REUSED", "convsvc")
    violation = found["PreconditionFailure"].violations[0]
    assert (violation.type, violation.subject) == ("IDEMPOTENCY_KEY_REUSED", f"idempotency-key:{key}")


def test_a_key_reused_for_another_method_is_failed_precondition(stub):
    key = new_key()
    stub.ListFormats(pb.ListFormatsRequest(), metadata=[("idempotency-key", key)], timeout=10)
    with pytest.raises(grpc.RpcError) as caught:
        convert(stub, b"", key)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_a_refusal_is_replayed_with_its_details(stub):
    key = new_key()
    with pytest.raises(grpc.RpcError) as first:
        convert(stub, b"[1,,2]", key, source=JSON, target=JSON)
    with pytest.raises(grpc.RpcError) as second:
        convert(stub, b"[1,,2]", key, source=JSON, target=JSON)
    assert first.value.code() == second.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert first.value.details() == second.value.details()
    assert details(first.value)["Report"] == details(second.value)["Report"]
    assert details(second.value)["ErrorInfo"].reason == "SYNTAX_ERROR"
    assert trailers(second.value)["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in trailers(first.value)
    assert trailers(first.value)["x-request-id"] != trailers(second.value)["x-request-id"]


def test_calls_without_a_key_always_run(server, stub):
    for _ in range(2):
        response, call = convert(stub, b'{"a": 1}\n', None)
        assert response.payload == b'{"a":1}\n' and "idempotent-replayed" not in trailers(call)


def test_a_malformed_key_is_invalid_argument_naming_the_header(stub):
    with pytest.raises(grpc.RpcError) as caught:
        convert(stub, b"1\n", "short")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert details(caught.value)["BadRequest"].field_violations[0].field == "idempotency-key"


def test_a_key_on_a_stream_is_refused(stub):
    requests = iter([pb.ConvertStreamRequest(spec=pb.StreamSpec(source=JSONL, target=JSONL))])
    with pytest.raises(grpc.RpcError) as caught:
        list(stub.ConvertStream(requests, metadata=[("idempotency-key", new_key())], timeout=10))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert details(caught.value)["ErrorInfo"].reason == "IDEMPOTENCY_KEY_UNSUPPORTED"


def test_a_deadline_exceeded_is_not_stored_so_a_retry_runs_again(tmp_path):
    config = write_config(tmp_path, "[deadlines]\ndefault_seconds = 0.2\nmax_seconds = 0.2\n")
    server = ServerProcess(tmp_path, "--config", str(config))
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = conversion_pb2_grpc.ConversionServiceStub(channel)
            key = new_key()
            for _ in range(2):
                with pytest.raises(grpc.RpcError) as caught:
                    convert(stub, SLOW * 4, key)
                assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
                assert "idempotent-replayed" not in trailers(caught.value)
            assert [line["idempotency"] for line in access_lines(server, wait_for=2)] == ["released", "released"]
    finally:
        server.stop()


# -- durability: SIGKILL after answering, restart, replay ---------------------------------------------

def redis_env() -> dict[str, str]:
    return {"CONVSVC_IDEMPOTENCY_STORE": "redis", "CONVSVC_IDEMPOTENCY_REDIS_URL": redis_url(),
            "CONVSVC_IDEMPOTENCY_REDIS_PREFIX": f"convsvc-test:{uuid.uuid4().hex}:"}


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_an_answer_survives_sigkill_and_is_replayed_after_restart(store, tmp_path):
    env = redis_env() if store == "redis" else {}
    key, payload = new_key(), b'{"survives": "kill -9"}\n'
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
    first = MetricsServer(tmp_path / "first", env=env)
    try:
        with grpc.insecure_channel(first.address) as channel:
            answer, _ = convert(conversion_pb2_grpc.ConversionServiceStub(channel), payload, key)
    finally:
        first.process.send_signal(signal.SIGKILL)  # no shutdown, no flush: only what was committed
        first.process.wait(10)
        first.stop()
    second = MetricsServer(tmp_path / "second", "--data-dir", str(tmp_path / "first" / "data"), env=env)
    try:
        with grpc.insecure_channel(second.address) as channel:
            replay, call = convert(conversion_pb2_grpc.ConversionServiceStub(channel), payload, key)
        assert replay == answer
        assert trailers(call)["idempotent-replayed"] == "true"
        assert sample(second.scrape(), "convsvc_conversions_total", source="json", target="json",
                      mode="fragile", outcome="ok") == 0
    finally:
        second.stop()


# -- a dead store -------------------------------------------------------------------------------------

def dead_redis_env(policy: str) -> dict[str, str]:
    return {"CONVSVC_IDEMPOTENCY_STORE": "redis",
            "CONVSVC_IDEMPOTENCY_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "CONVSVC_IDEMPOTENCY_ON_STORE_FAILURE": policy}


def test_with_the_store_down_calls_proceed_without_idempotency_by_default(tmp_path):
    server = ServerProcess(tmp_path, env=dead_redis_env("proceed"))
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = conversion_pb2_grpc.ConversionServiceStub(channel)
            key = new_key()
            for _ in range(2):
                response, call = convert(stub, b'{"a": 1}\n', key)
                assert response.payload == b'{"a":1}\n' and "idempotent-replayed" not in trailers(call)
            assert [line["idempotency"] for line in access_lines(server, wait_for=2)] == ["bypassed", "bypassed"]
    finally:
        server.stop()


def test_with_the_store_down_and_the_refuse_policy_calls_are_unavailable_with_retry_info(tmp_path):
    server = ServerProcess(tmp_path, env=dead_redis_env("refuse"))
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = conversion_pb2_grpc.ConversionServiceStub(channel)
            with pytest.raises(grpc.RpcError) as caught:
                convert(stub, b'{"a": 1}\n', new_key())
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
            found = details(caught.value)
            assert found["ErrorInfo"].reason == "IDEMPOTENCY_STORE_UNAVAILABLE"
            assert found["RetryInfo"].retry_delay.ToMilliseconds() > 0
            response, _ = convert(stub, b'{"a": 1}\n', None)  # calls without a key do not need the store
            assert response.payload == b'{"a":1}\n'
    finally:
        server.stop()
