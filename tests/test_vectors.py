"""corpus/vectors/: every shared vector through the live server — the same files the clients in other
languages run. Outputs must match byte for byte; refusals by status, reason and first field."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from convsvc.v1 import conversion_pb2 as pb
from tests.conftest import ROOT

VECTORS = ROOT / "corpus" / "vectors"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8"))


def test_the_vectors_cover_successes_and_refusals():
    assert sum("output" in v for v in MANIFEST) >= 12 and sum("error" in v for v in MANIFEST) >= 8


@pytest.mark.parametrize("vector", MANIFEST, ids=[v["id"] for v in MANIFEST])
def test_vector(vector, stub):
    request = json_format.ParseDict(vector["request"], pb.ConvertRequest())
    request.payload = (VECTORS / vector["input"]).read_bytes()
    if "output" in vector:
        response = stub.Convert(request, timeout=30)
        assert response.payload == (VECTORS / vector["output"]).read_bytes()
        return
    with pytest.raises(grpc.RpcError) as caught:
        stub.Convert(request, timeout=30)
    status = rpc_status.from_call(caught.value)
    found = {}
    for detail in status.details:
        for message in (error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()):
            if detail.Is(message.DESCRIPTOR):
                detail.Unpack(message)
                found[type(message).__name__] = message
    expected = vector["error"]
    assert caught.value.code().name == expected["code"]
    assert found["ErrorInfo"].reason == expected["reason"]
    assert found["BadRequest"].field_violations[0].field == expected["field"]
