"""The ConversionService servicer: proto <-> engine, and ConversionError -> rich gRPC status."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc

from convsvc.engine import ConvertRequest, Engine, StreamRecord, list_formats
from convsvc.model import Code, ConversionError, InvalidRequest, Issue
from convsvc.server.status import record_error_to_proto, rich_status
from convsvc.wire import format_spec_from_proto, format_value, mode_from_proto, report_to_proto
from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc as pb_grpc

# Payloads above this size convert on a worker thread so the event loop keeps answering
# health checks and other calls; below it the thread hop costs more than it saves.
THREAD_THRESHOLD_BYTES = 256 * 1024

class ConversionService(pb_grpc.ConversionServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def Convert(self, request: pb.ConvertRequest, context: grpc.aio.ServicerContext) -> pb.ConvertResponse:
        try:
            convert_request = ConvertRequest(
                source=format_spec_from_proto(request.source, "source"),
                target=format_spec_from_proto(request.target, "target"),
                payload=request.payload,
                mode=mode_from_proto(request.mode),
            )
            if len(request.payload) > THREAD_THRESHOLD_BYTES:
                result = await asyncio.to_thread(self._engine.convert, convert_request)
            else:
                result = self._engine.convert(convert_request)
        except ConversionError as error:
            await context.abort_with_status(rich_status(error))
        return pb.ConvertResponse(payload=result.payload, report=report_to_proto(result.report))

    async def ConvertStream(self, request_iterator: AsyncIterator[pb.ConvertStreamRequest],
                            context: grpc.aio.ServicerContext) -> AsyncIterator[pb.ConvertStreamResponse]:
        stream = None
        try:
            async for request in request_iterator:
                item = request.WhichOneof("item")
                if stream is None:
                    if item != "spec":
                        raise InvalidRequest(Issue(Code.INVALID_REQUEST, "spec",
                                                   "the first message of a stream must carry the spec"))
                    stream = self._engine.open_stream(
                        format_spec_from_proto(request.spec.source, "spec.source"),
                        format_spec_from_proto(request.spec.target, "spec.target"),
                        mode_from_proto(request.spec.mode))
                    continue
                if item == "spec":
                    raise InvalidRequest(Issue(Code.INVALID_REQUEST, "spec", "the spec may only come first"))
                records = ([stream.convert_record(request.record)] if item == "record"
                           else stream.feed_chunk(request.chunk))
                for record in records:
                    yield _stream_response(record)
            if stream is not None:
                for record in stream.finish():
                    yield _stream_response(record)
        except ConversionError as error:
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


def _stream_response(record: StreamRecord) -> pb.ConvertStreamResponse:
    response = pb.ConvertStreamResponse(index=record.index, report=report_to_proto(record.report))
    if record.error is not None:
        response.error.CopyFrom(record_error_to_proto(record.error))
    else:
        response.record = record.payload
    return response
