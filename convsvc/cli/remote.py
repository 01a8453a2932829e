"""The CLI's --target mode: call the Convert RPC and read the issues back from the status details."""

from __future__ import annotations

import grpc
from grpc_status import rpc_status

from convsvc.engine import FormatSpec
from convsvc.model import Code, Issue, Mode
from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc as pb_grpc
from convsvc.wire import format_spec_to_proto, mode_to_proto, report_from_proto

_UNREACHABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


class Unreachable(Exception):
    """The server did not answer (UNAVAILABLE or deadline exceeded)."""


def convert_remote(address: str, source: FormatSpec, target: FormatSpec, mode: Mode, payload: bytes,
                   timeout: float) -> tuple[int, bytes, list[Issue]]:
    from convsvc.cli.main import EXIT_OK, EXIT_REFUSED, EXIT_USAGE

    request = pb.ConvertRequest(source=format_spec_to_proto(source), target=format_spec_to_proto(target),
                                payload=payload, mode=mode_to_proto(mode))
    limit = len(payload) * 4 + 16 * 1024 * 1024
    options = [("grpc.max_send_message_length", limit), ("grpc.max_receive_message_length", limit)]
    with grpc.insecure_channel(address, options=options) as channel:
        try:
            response = pb_grpc.ConversionServiceStub(channel).Convert(request, timeout=timeout)
        except grpc.RpcError as error:
            if error.code() in _UNREACHABLE:
                raise Unreachable(f"{address}: {error.code().name}: {error.details()}") from None
            issues = issues_of(error)
            if issues and all(issue.code is Code.INVALID_REQUEST for issue in issues):
                return EXIT_USAGE, b"", issues
            return EXIT_REFUSED, b"", issues
    return EXIT_OK, response.payload, list(report_from_proto(response.report))


def issues_of(error: grpc.RpcError) -> list[Issue]:
    """The issues in a refusal's convsvc.v1.Report detail; else one issue from the status message."""
    status = rpc_status.from_call(error)
    if status is not None:
        for detail in status.details:
            if detail.Is(pb.Report.DESCRIPTOR):
                report = pb.Report()
                detail.Unpack(report)
                return list(report_from_proto(report))
    code = Code.UNIMPLEMENTED if error.code() == grpc.StatusCode.UNIMPLEMENTED else Code.INVALID_REQUEST
    return [Issue(code=code, message=f"{error.code().name}: {error.details()}")]
