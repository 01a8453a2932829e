"""The Python client's checks (see clients/README.md): one `PASS <check>` line each, exit 1 on a mismatch."""

from __future__ import annotations

import json
import os
import pathlib
import sys
import uuid

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from convert import bad_request_of, convert  # noqa: E402

ADDRESS = os.environ["CONVSVC_ADDRESS"]
VECTORS = pathlib.Path(os.environ["CONVSVC_VECTORS"])
SCHEMA = '{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}'
LINE = '{"id": %d, "name": "record number %d", "tags": ["a", "b", "c"], "value": 12.5, "ok": true}\n'


class Mismatch(Exception):
    pass


def expect(what: str, expected, got) -> None:
    if expected != got:
        raise Mismatch(f"{what}: expected {expected!r}, got {got!r}")


def details(error: grpc.RpcError) -> dict[str, object]:
    found: dict[str, object] = {}
    status = rpc_status.from_call(error)
    for detail in status.details if status else ():
        for message in (error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()):
            if detail.Is(message.DESCRIPTOR):
                detail.Unpack(message)
                found[type(message).__name__] = message
    return found


def refusal(call) -> grpc.RpcError:
    try:
        call()
    except grpc.RpcError as error:
        return error
    raise Mismatch("the call succeeded; a refusal was expected")


def check_vectors(stub) -> str:
    manifest = json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8"))
    for vector in manifest:
        request = json_format.ParseDict(vector["request"], pb.ConvertRequest())
        request.payload = (VECTORS / vector["input"]).read_bytes()
        if "output" in vector:
            got = stub.Convert(request, timeout=30).payload
            expect(f"{vector['id']} output", (VECTORS / vector["output"]).read_bytes(), got)
            continue
        error = refusal(lambda: stub.Convert(request, timeout=30))
        found = details(error)
        expect(f"{vector['id']} code", vector["error"]["code"], error.code().name)
        expect(f"{vector['id']} reason", vector["error"]["reason"], found["ErrorInfo"].reason)
        expect(f"{vector['id']} field", vector["error"]["field"], found["BadRequest"].field_violations[0].field)
    return f"vectors {len(manifest)}/{len(manifest)}"


def check_bad_request(stub) -> str:
    schema = pb.SchemaRef(inline=pb.InlineSchema(type=pb.SCHEMA_TYPE_JSON, text=SCHEMA))
    request = pb.ConvertRequest(source=pb.FormatSpec(format=pb.FORMAT_JSON, schema=schema),
                                target=pb.FormatSpec(format=pb.FORMAT_YAML), mode=pb.MODE_FRAGILE,
                                payload=b'{"id": "seven"}')
    error = refusal(lambda: stub.Convert(request, timeout=30))
    expect("code", grpc.StatusCode.INVALID_ARGUMENT, error.code())
    violation = bad_request_of(error).field_violations[0]
    expect("field", "/id", violation.field)
    expect("violation reason", "SCHEMA_VIOLATION", violation.reason)
    info = details(error)["ErrorInfo"]
    expect("ErrorInfo", ("SCHEMA_VIOLATION", "convsvc"), (info.reason, info.domain))
    return f"bad-request {violation.field}: {violation.description}"


def check_idempotent_replay(stub) -> str:
    key = str(uuid.uuid4())
    request = pb.ConvertRequest(source=pb.FormatSpec(format=pb.FORMAT_JSON),
                                target=pb.FormatSpec(format=pb.FORMAT_YAML), payload=b'{"id": 7}')
    replayed = []
    for _ in range(2):
        response, call = stub.Convert.with_call(request, timeout=30, metadata=[("idempotency-key", key)])
        expect("payload", b"id: 7\n", response.payload)
        replayed.append(dict(call.trailing_metadata()).get("idempotent-replayed"))
    expect("idempotent-replayed trailers", [None, "true"], replayed)
    return "idempotent-replay"


def check_deadline(channel) -> str:
    payload = "".join(LINE % (n, n) for n in range(90_000)).encode()
    error = refusal(lambda: convert_jsonl(channel, payload, deadline=0.1))
    expect("code", grpc.StatusCode.DEADLINE_EXCEEDED, error.code())
    return "deadline-exceeded"


def convert_jsonl(channel, payload: bytes, deadline: float) -> bytes:
    jsonl = pb.FormatSpec(format=pb.FORMAT_JSON, encoding="jsonl")
    stub = conversion_pb2_grpc.ConversionServiceStub(channel)
    return stub.Convert(pb.ConvertRequest(source=jsonl, target=jsonl, payload=payload), timeout=deadline).payload


def check_stream(stub) -> str:
    def requests():
        yield pb.ConvertStreamRequest(spec=pb.StreamSpec(source=pb.FormatSpec(format=pb.FORMAT_JSON),
                                                         target=pb.FormatSpec(format=pb.FORMAT_YAML)))
        for n in (1, 2, 3):
            yield pb.ConvertStreamRequest(record=b'{"n": %d}' % n)

    got = [(r.index, r.record) for r in stub.ConvertStream(requests(), timeout=30)]
    expect("stream", [(0, b"---\n'n': 1\n"), (1, b"---\n'n': 2\n"), (2, b"---\n'n': 3\n")], got)
    return "stream 3 records"


def main() -> int:
    with grpc.insecure_channel(ADDRESS) as channel:
        stub = conversion_pb2_grpc.ConversionServiceStub(channel)
        assert convert(channel, "json", "yaml", b'{"a": 1}', deadline=30) == b"a: 1\n"
        checks = [lambda: check_vectors(stub), lambda: check_bad_request(stub),
                  lambda: check_idempotent_replay(stub), lambda: check_deadline(channel), lambda: check_stream(stub)]
        for check in checks:
            try:
                print("PASS", check(), flush=True)
            except Mismatch as mismatch:
                print("FAIL", mismatch, flush=True)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
