"""The grpc_server_* metrics of every call: started, handled (by code), messages in and out, latency."""

from __future__ import annotations

import grpc

from convsvc.server import metrics
from convsvc.server.interceptors.base import Call, CallContext, Hooks, Layer, kind_of


class Metrics(Layer):
    def bind(self, method: str, handler: grpc.RpcMethodHandler) -> Hooks:
        service = method.rsplit("/", 2)[-2] if method.count("/") >= 2 else ""
        return _MethodSeries(kind_of(handler), service, method.rsplit("/", 1)[-1])


class _MethodSeries(Hooks):
    """One method's children of the labelled metrics, looked up once (labels() costs a lock and a hash)."""

    __slots__ = ("_labels", "_started", "_received", "_sent", "_seconds", "_handled")

    def __init__(self, kind: str, service: str, name: str) -> None:
        self._labels = (kind, service, name)
        self._started = metrics.STARTED.labels(*self._labels)
        self._received = metrics.MSG_RECEIVED.labels(*self._labels)
        self._sent = metrics.MSG_SENT.labels(*self._labels)
        self._seconds = metrics.HANDLING_SECONDS.labels(*self._labels)
        self._handled: dict[grpc.StatusCode, object] = {}

    def start(self, call: Call, context: CallContext) -> None:
        self._started.inc()

    def received(self, call: Call, data: bytes) -> None:
        self._received.inc()

    def sent(self, call: Call, data: bytes) -> None:
        self._sent.inc()

    def finish(self, call: Call, code: grpc.StatusCode) -> None:
        handled = self._handled.get(code)
        if handled is None:
            handled = self._handled[code] = metrics.HANDLED.labels(*self._labels, metrics.grpc_code_label(code))
        handled.inc()
        self._seconds.observe(call.seconds())
