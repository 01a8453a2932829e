"""gRPC statuses with google.rpc details, packed one way for every refusal.

A ConversionError becomes BadRequest (field = JSON Pointer), ErrorInfo (reason = issue code, domain
convsvc) and convsvc.v1.Report (every issue, with offset and line:column as structured fields). The
interceptors' refusals (auth, rate limit, idempotency, deadline) use `refusal` with ErrorInfo plus
RetryInfo, QuotaFailure or PreconditionFailure as the caller's next step needs.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from convsvc.model import (
    ConversionError, InvalidInput, InvalidRequest, Issue, LimitExceeded, NotFound, Unimplemented,
)
from convsvc.v1 import conversion_pb2 as pb
from convsvc.wire import issue_to_proto

DOMAIN = "convsvc"

_RESOURCE_LIMITS = {"max_message_bytes"}  # the size of the call itself; content limits are the payload's fault

_STATUS_OF = (  # the first matching class decides; chosen by what the caller can do next (AIP-193)
    (Unimplemented, grpc.StatusCode.UNIMPLEMENTED),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (InvalidRequest, grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidInput, grpc.StatusCode.INVALID_ARGUMENT),
)


def status_code_of(error: ConversionError) -> grpc.StatusCode:
    """RESOURCE_EXHAUSTED for the payload's size; INVALID_ARGUMENT for content limits (depth, lengths,
    counts), like any other reason the payload must change; UNIMPLEMENTED for what is not built."""
    if isinstance(error, LimitExceeded) and error.limit in _RESOURCE_LIMITS:
        return grpc.StatusCode.RESOURCE_EXHAUSTED
    for cls, code in _STATUS_OF:
        if isinstance(error, cls):
            return code
    return grpc.StatusCode.INVALID_ARGUMENT


def rich_status(error: ConversionError) -> grpc.Status:
    """A grpc.Status whose trailing metadata carries google.rpc.Status with BadRequest + ErrorInfo."""
    code = status_code_of(error)
    first = error.issues[0]
    metadata = {"issue_count": str(len(error.issues))}
    if first.line is not None:
        metadata.update(line=str(first.line), column=str(first.column))
    if first.offset is not None:
        metadata["offset"] = str(first.offset)
    if getattr(error, "limit", None) is not None:  # LimitExceeded, and TooManyChanges over a ROBUST cap
        metadata.update(limit=error.limit, maximum=str(error.maximum))
    info = error_details_pb2.ErrorInfo(reason=first.code.name, domain=DOMAIN, metadata=metadata)
    bad_request = error_details_pb2.BadRequest(field_violations=[
        error_details_pb2.BadRequest.FieldViolation(field=issue.path, description=_description(issue),
                                                    reason=issue.code.name)
        for issue in error.issues
    ])
    report = pb.Report(issues=[issue_to_proto(issue) for issue in error.issues])
    return status_with_details(code, str(error), bad_request, info, report)


def status_with_details(code: grpc.StatusCode, message: str, *details: Message) -> grpc.Status:
    """A grpc.Status whose trailing metadata carries google.rpc.Status with these details, in order."""
    packed_details = []
    for detail in details:
        packed = any_pb2.Any()
        packed.Pack(detail)
        packed_details.append(packed)
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=message, details=packed_details)
    return rpc_status.to_status(status)


def refusal(code: grpc.StatusCode, reason: str, message: str, *details: Message,
            **metadata: str) -> grpc.Status:
    """A refusal that is not about the payload: ErrorInfo(reason, domain convsvc, metadata) first,
    then the details that tell the caller what to do next (RetryInfo, QuotaFailure, ...)."""
    info = error_details_pb2.ErrorInfo(reason=reason, domain=DOMAIN, metadata=metadata)
    return status_with_details(code, message, info, *details)


def retry_info(seconds: float) -> error_details_pb2.RetryInfo:
    """RetryInfo asking the caller to wait this long (rounded up to the millisecond)."""
    delay = duration_pb2.Duration()
    delay.FromMilliseconds(max(1, -int(-seconds * 1000 // 1)))
    return error_details_pb2.RetryInfo(retry_delay=delay)


def _description(issue: Issue) -> str:
    place = issue.where()
    return f"{place}: {issue.message}" if place else issue.message


def record_error_to_proto(error: ConversionError) -> pb.RecordError:
    return pb.RecordError(code=status_code_of(error).value[0], message=str(error),
                          issues=[issue_to_proto(issue) for issue in error.issues])
