"""Convert stdin to stdout through a convsvc server: the Python example (the `convsvc convert --target`
command does the same with more options).

    echo '{"a": 1}' | python convert.py --target localhost:50051 --from json --to yaml
"""

from __future__ import annotations

import argparse
import sys

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc


def convert(channel: grpc.Channel, source: str, target: str, payload: bytes, *, mode: str = "fragile",
            deadline: float | None = None, idempotency_key: str | None = None) -> bytes:
    """One Convert call; raises grpc.RpcError on a refusal."""
    stub = conversion_pb2_grpc.ConversionServiceStub(channel)
    request = pb.ConvertRequest(source=pb.FormatSpec(format=pb.Format.Value(f"FORMAT_{source.upper()}")),
                                target=pb.FormatSpec(format=pb.Format.Value(f"FORMAT_{target.upper()}")),
                                mode=pb.Mode.Value(f"MODE_{mode.upper()}"), payload=payload)
    metadata = [("idempotency-key", idempotency_key)] if idempotency_key else None
    return stub.Convert(request, timeout=deadline, metadata=metadata).payload


def bad_request_of(error: grpc.RpcError) -> error_details_pb2.BadRequest | None:
    """The google.rpc.BadRequest among a refusal's details, if any."""
    status = rpc_status.from_call(error)
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            return bad_request
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="localhost:50051")
    parser.add_argument("--from", dest="source", required=True)
    parser.add_argument("--to", dest="target_format", required=True)
    parser.add_argument("--mode", choices=("fragile", "robust"), default="fragile")
    parser.add_argument("--deadline", type=float, default=30.0, help="seconds")
    parser.add_argument("--idempotency-key")
    args = parser.parse_args()
    with grpc.insecure_channel(args.target) as channel:
        try:
            output = convert(channel, args.source, args.target_format, sys.stdin.buffer.read(), mode=args.mode,
                             deadline=args.deadline, idempotency_key=args.idempotency_key)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            bad_request = bad_request_of(error)
            for violation in bad_request.field_violations if bad_request else ():
                print(f"{violation.field}: {violation.description}", file=sys.stderr)
            return 1
    sys.stdout.buffer.write(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
