"""The Python snippet of docs/clients.md (the lines between the snippet markers, as they are): one Convert
call that converts and one that is refused, against the server named by the first argument.
check.sh runs it and compares what it prints with clients/snippet.expected."""

# snippet:start
import sys

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from convsvc.v1 import conversion_pb2 as pb  # generated from proto/ (pip install -e . in the repository)
from convsvc.v1 import conversion_pb2_grpc

# The source's JSON Schema: an object whose "id" is an integer.
SCHEMA = pb.SchemaRef(inline=pb.InlineSchema(
    type=pb.SCHEMA_TYPE_JSON, text='{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}'))


def convert(stub: conversion_pb2_grpc.ConversionServiceStub, payload: bytes) -> None:
    """Converts payload from JSON to YAML and prints the YAML, or why the server refused it."""
    request = pb.ConvertRequest(source=pb.FormatSpec(format=pb.FORMAT_JSON, schema=SCHEMA),
                                target=pb.FormatSpec(format=pb.FORMAT_YAML), payload=payload)
    try:
        response = stub.Convert(request, timeout=10)  # the call's deadline, in seconds
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.INVALID_ARGUMENT:  # not a refusal of the payload (UNAVAILABLE, ...)
            raise
        print(f"refused: {error.details()}")
        status = rpc_status.from_call(error)  # the google.rpc.Status of the grpc-status-details-bin trailer
        for detail in status.details if status else ():
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):  # other detail types are skipped
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                for violation in bad_request.field_violations:
                    print(f"{violation.field}: {violation.description}")
        return
    print(response.payload.decode(), end="")


address = sys.argv[1] if len(sys.argv) > 1 else "localhost:50051"
with grpc.insecure_channel(address) as channel:
    stub = conversion_pb2_grpc.ConversionServiceStub(channel)
    convert(stub, b'{"id": 7}')  # id: 7
    convert(stub, b'{"id": "seven"}')  # refused: SCHEMA_VIOLATION at /id: ...
# snippet:end
