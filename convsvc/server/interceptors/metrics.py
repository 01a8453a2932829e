"""The grpc_server_* metrics of every call: started, handled (by code), messages in and out, latency."""

from __future__ import annotations

import functools

import grpc

from convsvc.server import metrics
from convsvc.server.interceptors.base import Call, CallContext, Layer, count_messages


@functools.cache
def _series(kind: str, service: str, method: str):
    """One method's children of the labelled metrics, looked up once (labels() costs a lock and a hash)."""
    labels = (kind, service, method)
    return (metrics.STARTED.labels(*labels), metrics.MSG_RECEIVED.labels(*labels),
            metrics.MSG_SENT.labels(*labels), metrics.HANDLING_SECONDS.labels(*labels))


@functools.cache
def _handled(kind: str, service: str, method: str, code: str):
    return metrics.HANDLED.labels(kind, service, method, code)


def _received(call: Call, _: bytes) -> None:
    _series(call.kind, call.service, call.name)[1].inc()


def _sent(call: Call, _: bytes) -> None:
    _series(call.kind, call.service, call.name)[2].inc()


class Metrics(Layer):
    def wrap(self, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        return super().wrap(count_messages(handler, _received, _sent))

    async def before(self, call: Call, context: CallContext) -> None:
        started, _, _, seconds = _series(call.kind, call.service, call.name)
        started.inc()

        def handled(_) -> None:
            code = metrics.grpc_code_label(call.outcome(context))
            _handled(call.kind, call.service, call.name, code).inc()
            seconds.observe(call.seconds())

        context.add_done_callback(handled)  # runs however the call ends, streams cancelled midway included
