"""The CLI's --target mode: call the Convert RPC with the call options, read issues from the status details."""

from __future__ import annotations

import grpc
from grpc_status import rpc_status

from convsvc.cli.call_options import CallOptions
from convsvc.engine import FormatSpec
from convsvc.model import Code, Issue, Mode
from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc as pb_grpc
from convsvc.wire import format_spec_to_proto, mode_to_proto, report_from_proto

_UNREACHABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


class Unreachable(Exception):
    """The server did not answer (UNAVAILABLE or deadline exceeded)."""

    def __init__(self, message: str, request_id: str) -> None:
        super().__init__(message)
        self.request_id = request_id


class CallFailed(Exception):
    """The server refused the call for a reason other than the payload (key, scope, rate limit,
    idempotency key reuse, internal error): its status code, message and request id."""

    def __init__(self, code: grpc.StatusCode, message: str, request_id: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.request_id = request_id


def convert_remote(address: str, source: FormatSpec, target: FormatSpec, mode: Mode, payload: bytes,
                   options: CallOptions, max_changes: int | None = None) -> tuple[int, bytes, list[Issue]]:
    from convsvc.cli.main import EXIT_OK, EXIT_REFUSED, EXIT_USAGE

    request = pb.ConvertRequest(source=format_spec_to_proto(source), target=format_spec_to_proto(target),
                                payload=payload, mode=mode_to_proto(mode), max_changes=max_changes)
    limit = len(payload) * 4 + 16 * 1024 * 1024
    channel_options = [("grpc.max_send_message_length", limit), ("grpc.max_receive_message_length", limit)]
    with grpc.insecure_channel(address, options=channel_options) as channel:
        try:
            response = pb_grpc.ConversionServiceStub(channel).Convert(
                request, timeout=options.deadline, metadata=options.metadata())
        except grpc.RpcError as error:
            request_id = request_id_of(error, options)
            if error.code() in _UNREACHABLE:
                raise Unreachable(f"{address}: {error.code().name}: {error.details()}", request_id) from None
            issues = issues_of(error)
            if not issues:
                raise CallFailed(error.code(), error.details() or "", request_id) from None
            if all(issue.code is Code.INVALID_REQUEST for issue in issues):
                return EXIT_USAGE, b"", issues
            return EXIT_REFUSED, b"", issues
    return EXIT_OK, response.payload, list(report_from_proto(response.report))


def request_id_of(error: grpc.RpcError, options: CallOptions) -> str:
    """The server's x-request-id trailer (it may have replaced ours), else the one we sent."""
    for key, value in error.trailing_metadata() or ():
        if key == "x-request-id":
            return value
    return options.request_id


def issues_of(error: grpc.RpcError) -> list[Issue]:
    """The issues in a refusal's convsvc.v1.Report detail; for a method the server lacks, one
    UNIMPLEMENTED issue; otherwise none (the refusal is not about the payload)."""
    status = rpc_status.from_call(error)
    if status is not None:
        for detail in status.details:
            if detail.Is(pb.Report.DESCRIPTOR):
                report = pb.Report()
                detail.Unpack(report)
                return list(report_from_proto(report))
    if error.code() == grpc.StatusCode.UNIMPLEMENTED:
        return [Issue(code=Code.UNIMPLEMENTED, message=f"UNIMPLEMENTED: {error.details()}")]
    return []
