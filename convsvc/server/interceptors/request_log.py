"""Request ids and the access log: the outermost layer, so its log line covers every other one.

`x-request-id` is taken from the call's metadata when it is sane, otherwise made up; it is returned
in the trailing metadata of every outcome and carried by every log line written while serving the call.
When the call ends, one JSON line records method, peer, principal, code, duration, bytes and what an
idempotency key did.
"""

from __future__ import annotations

import logging
import re
import uuid

import grpc

from convsvc.server.interceptors.base import Call, CallContext, Layer, count_messages, metadata_text
from convsvc.server.logs import REQUEST_ID

log = logging.getLogger("convsvc.access")

HEADER = "x-request-id"
_SANE = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")  # what a log line or a trailer can carry as it is
_NOT_MUNDANE = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL, grpc.StatusCode.DATA_LOSS}


class RequestLog(Layer):
    def __init__(self, send_limit: int | None = None) -> None:
        super().__init__()
        self._send_limit = send_limit  # gRPC's own; it fails a bigger response after the handler returned

    def wrap(self, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        return super().wrap(count_messages(handler, self._received, self._sent))

    @staticmethod
    def _received(call: Call, data: bytes) -> None:
        call.bytes_in += len(data)

    def _sent(self, call: Call, data: bytes) -> None:
        call.bytes_out += len(data)
        if self._send_limit is not None and len(data) > self._send_limit and call.code is None:
            call.code = grpc.StatusCode.RESOURCE_EXHAUSTED  # what the client gets: log and count it
            call.details = f"response of {len(data)} bytes is larger than the send limit ({self._send_limit})"

    async def before(self, call: Call, context: CallContext) -> None:
        given = metadata_text(call, HEADER)
        call.request_id = given if given and _SANE.fullmatch(given) else str(uuid.uuid4())
        REQUEST_ID.set(call.request_id)  # the call's task (and threads it starts): every log line carries it
        call.peer = context.peer()
        context.add_sticky_trailer(HEADER, call.request_id)
        # A done callback, not code after the handler: it runs however the call ends, a response
        # stream the client cancelled midway included.
        context.add_done_callback(lambda _: _log_call(call, context))


def _log_call(call: Call, context: CallContext) -> None:
    code = call.outcome(context)
    fields = {
        "request_id": call.request_id, "method": call.method, "peer": call.peer, "principal": call.principal,
        "code": code.name, "duration_ms": round(call.seconds() * 1000, 3),
        "bytes_in": call.bytes_in, "bytes_out": call.bytes_out,
    }
    if call.idempotency:
        fields["idempotency"] = call.idempotency
    if code is not grpc.StatusCode.OK and call.details:
        fields["details"] = call.details
    level = logging.ERROR if code in _NOT_MUNDANE else logging.INFO
    log.log(level, "%s %s %s", call.method, code.name, fields["duration_ms"], extra=fields)
