"""Message size limits from the configuration, as a client of a real server sees them."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc
from tests.conftest import ServerProcess
from tests.serving import write_config

JSON = pb.FormatSpec(format=pb.FORMAT_JSON)


@pytest.fixture(scope="module")
def stub(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("limits")
    config = write_config(tmp, "[limits]\nmax_message_bytes = 1000\n[server]\nmax_receive_message_bytes = 20000\n")
    server = ServerProcess(tmp, "--config", str(config))
    with grpc.insecure_channel(server.address) as channel:
        yield conversion_pb2_grpc.ConversionServiceStub(channel)
    server.stop()


def refusal(stub, size: int) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        stub.Convert(pb.ConvertRequest(source=JSON, target=JSON, payload=b" " * (size - 1) + b"1"), timeout=10)
    return caught.value


def test_a_payload_over_max_message_bytes_is_resource_exhausted_naming_the_limit(stub):
    error = refusal(stub, 5000)
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    info = error_details_pb2.ErrorInfo()
    next(detail for detail in rpc_status.from_call(error).details if detail.Unpack(info))
    assert (info.reason, info.metadata["limit"], info.metadata["maximum"]) == ("LIMIT_EXCEEDED", "max_message_bytes",
                                                                              "1000")


def test_a_message_over_the_grpc_receive_limit_is_refused_by_grpc_naming_both_sizes(stub):
    error = refusal(stub, 50_000)
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "larger than max" in error.details() and "20000" in error.details()


def test_a_payload_within_the_limits_converts(stub):
    assert stub.Convert(pb.ConvertRequest(source=JSON, target=JSON, payload=b"[1]"), timeout=10).payload == b"[1]"
