"""API keys, scopes, rate limits and SIGHUP reload, as clients of a real server process see them."""

from __future__ import annotations

import queue
import signal

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc
from tests.conftest import ServerProcess
from tests.serving import access_line, keys_toml, wait_for_log, write_config

JSON = pb.FormatSpec(format=pb.FORMAT_JSON)
JSONL = pb.FormatSpec(format=pb.FORMAT_JSON, encoding="jsonl")
CONVERTER, READER, ADMIN, LIMITED = "cvk_test-converter", "cvk_test-reader", "cvk_test-admin", "cvk_test-limited"
KEYS = keys_toml({"converter": (CONVERTER, ["convert"]), "reader": (READER, ["registry:read"]),
                  "ops": (ADMIN, ["admin"])}) + keys_toml(
    {"limited": (LIMITED, ["convert"])}, extra="requests_per_second = 0.01\nburst = 2\n")


def details(error: grpc.RpcError) -> dict[str, object]:
    found = {}
    for detail in rpc_status.from_call(error).details:
        for message in (error_details_pb2.ErrorInfo(), error_details_pb2.RetryInfo(),
                        error_details_pb2.QuotaFailure()):
            if detail.Is(message.DESCRIPTOR):
                detail.Unpack(message)
                found[type(message).__name__] = message
    return found


def convert(stub, metadata=(), payload: bytes = b"[1]"):
    return stub.Convert(pb.ConvertRequest(source=JSON, target=JSON, payload=payload), metadata=list(metadata),
                        timeout=10)


def refusal(stub, metadata=(), payload: bytes = b"[1]") -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        convert(stub, metadata, payload)
    return caught.value


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("auth")
    server = ServerProcess(tmp, "--config", str(write_config(tmp, KEYS)))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def channel(server):
    with grpc.insecure_channel(server.address) as channel:
        yield channel


@pytest.fixture(scope="module")
def stub(channel):
    return conversion_pb2_grpc.ConversionServiceStub(channel)


def test_a_call_without_a_key_is_unauthenticated(stub):
    error = refusal(stub)
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert (details(error)["ErrorInfo"].reason, details(error)["ErrorInfo"].domain) == ("API_KEY_MISSING", "convsvc")


def test_an_unknown_key_is_unauthenticated(stub):
    error = refusal(stub, [("authorization", "Bearer cvk_nobody")])
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert details(error)["ErrorInfo"].reason == "API_KEY_INVALID"


def test_a_key_without_the_scope_is_permission_denied_naming_the_scope(stub):
    error = refusal(stub, [("x-api-key", READER)])
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    info = details(error)["ErrorInfo"]
    assert (info.reason, info.metadata["scope"], info.metadata["principal"]) == ("SCOPE_MISSING", "convert", "reader")


@pytest.mark.parametrize("metadata", [[("authorization", f"Bearer {CONVERTER}")], [("x-api-key", CONVERTER)],
                                      [("authorization", f"Bearer {ADMIN}")]],
                         ids=["bearer", "x-api-key", "admin scope"])
def test_a_key_with_the_scope_converts(stub, metadata):
    assert convert(stub, metadata).payload == b"[1]"


def test_health_and_reflection_need_no_key(channel):
    health = health_pb2_grpc.HealthStub(channel)
    assert health.Check(health_pb2.HealthCheckRequest(), timeout=10).status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                                                timeout=10)
    assert any(response.list_services_response.service for response in responses)


def test_the_access_log_names_the_principal(server, stub):
    convert(stub, [("x-api-key", CONVERTER), ("x-request-id", "principal-test-1")])
    assert access_line(server, "principal-test-1")["principal"] == "converter"


def test_a_key_over_its_rate_limit_is_resource_exhausted_with_retry_info_and_quota_failure(stub):
    metadata = [("x-api-key", LIMITED)]
    convert(stub, metadata)
    convert(stub, metadata)  # the burst of 2
    error = refusal(stub, metadata)
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    found = details(error)
    assert found["ErrorInfo"].reason == "RATE_LIMITED"
    assert found["RetryInfo"].retry_delay.seconds > 10  # 0.01 tokens/s: the next one is far away
    assert found["QuotaFailure"].violations[0].subject == "api-key:limited"
    assert convert(stub, [("x-api-key", CONVERTER)]).payload == b"[1]"  # other keys have their own bucket


def test_idempotency_keys_are_scoped_to_the_principal(stub):
    key = "shared-idempotency-key-1"
    first = convert(stub, [("x-api-key", CONVERTER), ("idempotency-key", key)], b"[1]")
    second = convert(stub, [("x-api-key", ADMIN), ("idempotency-key", key)], b"[2]")
    assert (first.payload, second.payload) == (b"[1]", b"[2]")


def test_anonymous_callers_are_rate_limited_per_peer_address_and_health_is_not(tmp_path):
    config = write_config(tmp_path, "[rate_limit]\nanonymous_requests_per_second = 0.01\nanonymous_burst = 1\n")
    server = ServerProcess(tmp_path, "--config", str(config))
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = conversion_pb2_grpc.ConversionServiceStub(channel)
            convert(stub)
            error = refusal(stub)
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert details(error)["QuotaFailure"].violations[0].subject == "peer:127.0.0.1"
            health = health_pb2_grpc.HealthStub(channel)
            for _ in range(3):
                health.Check(health_pb2.HealthCheckRequest(), timeout=10)
    finally:
        server.stop()


def test_binding_beyond_loopback_without_keys_warns(tmp_path):
    server = ServerProcess(tmp_path, "--host", "0.0.0.0")
    try:
        assert "without API keys" in server.log()
    finally:
        server.stop()


def test_sighup_reloads_keys_without_dropping_connections(tmp_path):
    old_key, new_key = "cvk_test-before-reload", "cvk_test-after-reload"
    config = write_config(tmp_path, keys_toml({"ci": (old_key, ["convert"])}))
    server = ServerProcess(tmp_path, "--config", str(config))
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = conversion_pb2_grpc.ConversionServiceStub(channel)
            assert convert(stub, [("x-api-key", old_key)]).payload == b"[1]"
            requests: queue.Queue = queue.Queue()
            requests.put(pb.ConvertStreamRequest(spec=pb.StreamSpec(source=JSON, target=JSONL)))
            requests.put(pb.ConvertStreamRequest(record=b"[1]"))
            stream = stub.ConvertStream(iter(requests.get, None), metadata=[("x-api-key", old_key)], timeout=60)
            assert next(stream).record == b"[1]\n"

            config.write_text(keys_toml({"ci": (new_key, ["convert"])}))
            server.process.send_signal(signal.SIGHUP)
            wait_for_log(server, "configuration reloaded")

            assert refusal(stub, [("x-api-key", old_key)]).code() == grpc.StatusCode.UNAUTHENTICATED
            assert convert(stub, [("x-api-key", new_key)]).payload == b"[1]"
            requests.put(pb.ConvertStreamRequest(record=b"[2]"))  # the stream opened before goes on
            assert next(stream).record == b"[2]\n"
            requests.put(None)
            assert list(stream) == []

            config.write_text("[limits]\nmax_depth = 9999\n")  # invalid: the running configuration stays
            server.process.send_signal(signal.SIGHUP)
            wait_for_log(server, "configuration not reloaded")
            assert convert(stub, [("x-api-key", new_key)]).payload == b"[1]"
        assert server.process.poll() is None
    finally:
        server.stop()


def test_sighup_reloads_limits(tmp_path):
    config = write_config(tmp_path, "")
    server = ServerProcess(tmp_path, "--config", str(config))
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = conversion_pb2_grpc.ConversionServiceStub(channel)
            assert convert(stub, payload=b"[[[1]]]").payload == b"[[[1]]]"
            config.write_text("[limits]\nmax_depth = 2\n")
            server.process.send_signal(signal.SIGHUP)
            wait_for_log(server, "configuration reloaded")
            assert refusal(stub, payload=b"[[[1]]]").code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        server.stop()
