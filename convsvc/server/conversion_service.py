"""The ConversionService servicer: proto <-> engine, and ConversionError -> rich gRPC status."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc

from convsvc.engine import ConvertRequest, Engine, StreamRecord, list_formats
from convsvc.model import (
    Cancelled, Code, ConversionError, InvalidRequest, Issue, LimitExceeded, NotFound, Unimplemented,
)
from convsvc.server import metrics
from convsvc.server.interceptors.deadline import cancel_token
from convsvc.server.status import record_error_to_proto, rich_status
from convsvc.wire import format_name, format_spec_from_proto, format_value, mode_from_proto, report_to_proto
from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc as pb_grpc

# Payloads above this size convert on a worker thread so the event loop keeps answering
# health checks and other calls; below it the thread hop costs more than it saves.
THREAD_THRESHOLD_BYTES = 256 * 1024

class ConversionService(pb_grpc.ConversionServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def Convert(self, request: pb.ConvertRequest, context: grpc.aio.ServicerContext) -> pb.ConvertResponse:
        labels = _labels(request.source, request.target, request.mode)
        cancel = cancel_token()  # the deadline layer's: stops the engine between records
        try:
            convert_request = ConvertRequest(
                source=format_spec_from_proto(request.source, "source"),
                target=format_spec_from_proto(request.target, "target"),
                payload=request.payload,
                mode=mode_from_proto(request.mode),
                max_changes=request.max_changes if request.HasField("max_changes") else None,
            )
            if len(request.payload) > THREAD_THRESHOLD_BYTES:
                result = await asyncio.to_thread(self._engine.convert, convert_request, cancel)
            else:
                result = self._engine.convert(convert_request, cancel)
        except ConversionError as error:
            metrics.record_conversion(*labels, _outcome(error), bytes_in=len(request.payload))
            await context.abort_with_status(rich_status(error))
        except (Cancelled, asyncio.CancelledError):
            metrics.record_conversion(*labels, "cancelled", bytes_in=len(request.payload))
            raise
        metrics.record_conversion(*labels, "ok", bytes_in=len(request.payload), bytes_out=len(result.payload),
                                  issue_codes=[issue.code.name for issue in result.report])
        return pb.ConvertResponse(payload=result.payload, report=report_to_proto(result.report))

    async def ConvertStream(self, request_iterator: AsyncIterator[pb.ConvertStreamRequest],
                            context: grpc.aio.ServicerContext) -> AsyncIterator[pb.ConvertStreamResponse]:
        stream = None
        labels = ("unspecified", "unspecified", "fragile")
        try:
            async for request in request_iterator:
                item = request.WhichOneof("item")
                if stream is None:
                    if item != "spec":
                        raise InvalidRequest(Issue(Code.INVALID_REQUEST, "spec",
                                                   "the first message of a stream must carry the spec"))
                    labels = _labels(request.spec.source, request.spec.target, request.spec.mode)
                    stream = self._engine.open_stream(
                        format_spec_from_proto(request.spec.source, "spec.source"),
                        format_spec_from_proto(request.spec.target, "spec.target"),
                        mode_from_proto(request.spec.mode), cancel_token(),
                        request.spec.max_changes if request.spec.HasField("max_changes") else None)
                    continue
                if item == "spec":
                    raise InvalidRequest(Issue(Code.INVALID_REQUEST, "spec", "the spec may only come first"))
                data = request.record if item == "record" else request.chunk
                metrics.record_bytes_in(len(data))
                records = [stream.convert_record(data)] if item == "record" else stream.feed_chunk(data)
                for record in records:
                    yield _stream_response(record, labels)
            if stream is not None:
                for record in stream.finish():
                    yield _stream_response(record, labels)
        except ConversionError as error:
            metrics.record_conversion(*labels, _outcome(error))
            await context.abort_with_status(rich_status(error))

    async def ListFormats(self, request: pb.ListFormatsRequest,
                          context: grpc.aio.ServicerContext) -> pb.ListFormatsResponse:
        return list_formats_response()


def list_formats_response() -> pb.ListFormatsResponse:
    formats = []
    for entry in list_formats():
        encodings = [pb.EncodingInfo(name=enc["name"], description=enc["description"],
                                     multi_document=enc["multi_document"], is_default=enc["default"],
                                     options=enc["options"]) for enc in entry["encodings"]]
        formats.append(pb.FormatInfo(format=format_value(entry["name"]),
                                     name=entry["name"], description=entry["description"],
                                     encodings=encodings))
    return pb.ListFormatsResponse(formats=formats)


def _stream_response(record: StreamRecord, labels: tuple[str, str, str]) -> pb.ConvertStreamResponse:
    response = pb.ConvertStreamResponse(index=record.index, report=report_to_proto(record.report))
    if record.error is not None:
        response.error.CopyFrom(record_error_to_proto(record.error))
        metrics.record_conversion(*labels, _outcome(record.error))
    else:
        response.record = record.payload
        metrics.record_conversion(*labels, "ok", bytes_out=len(record.payload),
                                  issue_codes=[issue.code.name for issue in record.report])
    return response


def _labels(source: pb.FormatSpec, target: pb.FormatSpec, mode: int) -> tuple[str, str, str]:
    """convsvc_conversions_total's source, target and mode labels (closed sets: enum names)."""
    return _format_label(source.format), _format_label(target.format), mode_from_proto(mode).value


_FORMAT_VALUES = frozenset(pb.Format.values())


def _format_label(value: int) -> str:
    return format_name(value) if value in _FORMAT_VALUES else "unknown"


def _outcome(error: Exception) -> str:
    """convsvc_conversions_total's outcome label for a refusal."""
    if isinstance(error, Unimplemented):
        return "unimplemented"
    if isinstance(error, NotFound):
        return "schema_not_found"
    if isinstance(error, InvalidRequest):
        return "invalid_request"
    if isinstance(error, LimitExceeded):
        return "limit_exceeded"
    return "refused"
