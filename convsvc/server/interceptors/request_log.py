"""Request ids and the access log: the outermost layer, so its log line covers every other one.

`x-request-id` is taken from the call's metadata when it is sane, otherwise made up; it is returned
in the trailing metadata of every outcome and carried by every log line written while serving the call.
When the call ends, one JSON line records method, peer, principal, code, duration, bytes and what an
idempotency key did (`logs.access`: preformatted, not a logging record per call).
"""

from __future__ import annotations

import logging
import os
import re

import grpc

from convsvc.server import logs
from convsvc.server.interceptors.base import Call, CallContext, Hooks, Layer, metadata_text
from convsvc.server.logs import REQUEST_ID

HEADER = "x-request-id"
_SANE = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")  # what a log line or a trailer can carry as it is
_NOT_MUNDANE = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL, grpc.StatusCode.DATA_LOSS}
_CODE_NAMES = {code: code.name for code in grpc.StatusCode}  # an enum's .name is a property: a lookup per call


def new_request_id() -> str:
    """A random UUID (version 4) as text: what str(uuid.uuid4()) gives, without building a UUID object."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # variant RFC 4122
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class RequestLog(Layer, Hooks):
    __slots__ = ("_send_limit",)

    def __init__(self, send_limit: int | None = None) -> None:
        self._send_limit = send_limit  # gRPC's own; it fails a bigger response after the handler returned

    def bind(self, method: str, handler: grpc.RpcMethodHandler) -> Hooks:
        return self

    def start(self, call: Call, context: CallContext) -> None:
        given = metadata_text(call, HEADER)
        call.request_id = given if given and _SANE.fullmatch(given) else new_request_id()
        REQUEST_ID.set(call.request_id)  # the call's task (and threads it starts): every log line carries it
        call.peer = context.raw.peer()
        context.add_sticky_trailer(HEADER, call.request_id)

    @staticmethod
    def received(call: Call, data: bytes) -> None:
        call.bytes_in += len(data)

    def sent(self, call: Call, data: bytes) -> None:
        call.bytes_out += len(data)
        if self._send_limit is not None and len(data) > self._send_limit and call.code is None:
            call.code = grpc.StatusCode.RESOURCE_EXHAUSTED  # what the client gets: log and count it
            call.details = f"response of {len(data)} bytes is larger than the send limit ({self._send_limit})"

    @staticmethod
    def finish(call: Call, code: grpc.StatusCode) -> None:
        name = _CODE_NAMES[code]
        milliseconds = round(call.seconds() * 1000, 3)
        fields = {  # request_id first: logs.access writes them in this order
            "request_id": call.request_id, "method": call.method, "peer": call.peer, "principal": call.principal,
            "code": name, "duration_ms": milliseconds, "bytes_in": call.bytes_in, "bytes_out": call.bytes_out,
        }
        if call.idempotency:
            fields["idempotency"] = call.idempotency
        if code is not grpc.StatusCode.OK and call.details:
            fields["details"] = call.details
        logs.access(logging.ERROR if code in _NOT_MUNDANE else logging.INFO, f"{call.method} {name} {milliseconds}",
                    fields)
