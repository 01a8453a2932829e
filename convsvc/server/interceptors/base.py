"""What the interceptors share: the per-call record, the context proxy, method policies, handler rewrapping.

grpc.aio lets an interceptor return a different method handler for a call; each concern here returns
the same handler with its behaviour wrapped. Most concerns are an async context manager around the
handler's work (`Layer.around`): entered before the handler runs, where it may refuse the call, and
left when the work ends. The record of the call (`Call`) is shared by every layer through a context
variable, and every layer below the first sees a `CallContext` proxy that notes how the call ended.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import grpc

from convsvc.model import CancelToken

KINDS = {(False, False): "unary", (True, False): "client_stream", (False, True): "server_stream",
         (True, True): "bidi_stream"}


@dataclasses.dataclass(frozen=True, slots=True)
class MethodPolicy:
    """What a method needs: `scope` None = public (no key, no rate limit: health, reflection);
    `long_lived` = a stream meant to stay open (health Watch, reflection), given no default deadline."""

    scope: str | None
    long_lived: bool = False


ADMIN_ONLY = MethodPolicy("admin")  # a method nobody declared: fail closed


class MethodPolicies:
    """Method path (/package.Service/Method) -> MethodPolicy; undeclared methods need `admin`."""

    def __init__(self, policies: Mapping[str, MethodPolicy]) -> None:
        self._policies = dict(policies)

    def __call__(self, method: str) -> MethodPolicy:
        return self._policies.get(method, ADMIN_ONLY)


@dataclasses.dataclass(slots=True, eq=False)
class Call:
    """One call as the layers see it; each layer fills in what it knows."""

    method: str  # /package.Service/Method
    kind: str  # unary | client_stream | server_stream | bidi_stream
    metadata: dict[str, str | bytes]  # invocation metadata, first value per key
    started: float = dataclasses.field(default_factory=time.perf_counter)
    request_id: str = ""
    peer: str = ""
    principal: str = ""
    key: Any = None  # the caller's convsvc.server.keys.ApiKey, when it sent one
    deadline: float | None = None  # time.monotonic() by which the work must end (deadline layer)
    cancel: CancelToken | None = None  # set when the caller gives up (deadline layer)
    idempotency: str = ""  # what the idempotency-key did (see docs/operations.md)
    bytes_in: int = 0
    bytes_out: int = 0
    request_bytes: bytes = b""  # a unary call's serialized request, kept only when a layer needs it
    # how it ended, once known: set by CallContext.abort, or UNKNOWN for an unexpected exception
    code: grpc.StatusCode | None = None
    details: str = ""
    status_trailers: tuple = ()  # what the handler passed to abort, without the sticky trailers
    handler_trailers: tuple = ()  # what the handler passed to set_trailing_metadata
    sticky: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # trailers of every outcome

    @property
    def service(self) -> str:
        return self.method.rsplit("/", 2)[-2] if self.method.count("/") >= 2 else ""

    @property
    def name(self) -> str:
        return self.method.rsplit("/", 1)[-1]

    def outcome(self, context: grpc.aio.ServicerContext) -> grpc.StatusCode:
        """The status the call ended with; meaningful once it has (e.g. in a done callback)."""
        if self.code is not None:
            return self.code
        if context.code() is not None:  # the handler used the raw context's set_code/abort
            return context.code()
        if context.done():  # a status went out and nobody aborted: the handler returned
            return grpc.StatusCode.OK
        if self.deadline is not None and time.monotonic() >= self.deadline or context.time_remaining() == 0:
            return grpc.StatusCode.DEADLINE_EXCEEDED
        return grpc.StatusCode.CANCELLED  # the client went away before any status was sent

    def seconds(self) -> float:
        return time.perf_counter() - self.started


_CALL: contextvars.ContextVar[Call | None] = contextvars.ContextVar("convsvc_call", default=None)


def call_for(details: grpc.HandlerCallDetails, handler: grpc.RpcMethodHandler) -> Call:
    """The record of the call being intercepted: made by the first layer, found by the others.

    grpc.aio looks up the handler (running every interceptor) in the call's own task, then runs
    the behaviour in that same task, so a context variable set here is the call's alone.
    """
    call = _CALL.get()
    if call is None or call.method != details.method:
        metadata: dict[str, str | bytes] = {}
        for key, value in details.invocation_metadata or ():
            metadata.setdefault(key, value)
        call = Call(method=details.method, kind=KINDS[handler.request_streaming, handler.response_streaming],
                    metadata=metadata)
        _CALL.set(call)
    return call


def current_call() -> Call | None:
    """The call being served by this task (or worker thread started from it), if any."""
    return _CALL.get()


class CallContext:
    """The servicer context as every layer below the first sees it (delegating the rest).

    It records how the call ended (code, details and trailers of an abort) in the Call, and keeps the
    sticky trailers (x-request-id, idempotent-replayed) in every outcome: grpc.aio sends the status at
    abort() time, with only the trailers passed to it, so they must be merged in there.
    """

    __slots__ = ("_context", "call")

    def __init__(self, context: grpc.aio.ServicerContext, call: Call) -> None:
        self._context = context
        self.call = call

    @classmethod
    def of(cls, context: Any, call: Call) -> "CallContext":
        return context if isinstance(context, CallContext) else cls(context, call)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    async def abort(self, code: grpc.StatusCode, details: str = "", trailing_metadata: tuple = ()) -> None:
        call = self.call
        trailers = tuple(trailing_metadata) or call.handler_trailers
        if call.code is None:
            call.code, call.details, call.status_trailers = code, details, trailers
        await self._context.abort(code, details, (*call.sticky, *trailers))

    async def abort_with_status(self, status: grpc.Status) -> None:
        await self.abort(status.code, status.details, tuple(status.trailing_metadata))

    def set_trailing_metadata(self, trailing_metadata: Any) -> None:
        self.call.handler_trailers = tuple(trailing_metadata)
        self._context.set_trailing_metadata((*self.call.sticky, *self.call.handler_trailers))

    def add_sticky_trailer(self, key: str, value: str) -> None:
        """A trailer sent with whatever status the call ends with."""
        self.call.sticky.append((key, value))
        self._context.set_trailing_metadata((*self.call.sticky, *self.call.handler_trailers))

    def time_remaining(self) -> float | None:
        """The tighter of the client's deadline and the server's (default or clamped) one."""
        client = self._context.time_remaining()
        if self.call.deadline is None:
            return client
        server = max(0.0, self.call.deadline - time.monotonic())
        return server if client is None else min(client, server)


Before = Callable[[Call, CallContext], Awaitable[None]]
Around = Callable[[Call, CallContext], contextlib.AbstractAsyncContextManager]


def around_each_call(handler: grpc.RpcMethodHandler, before: Before | None = None,
                     around: Around | None = None) -> grpc.RpcMethodHandler:
    """The handler with `before(call, context)` awaited ahead of its behaviour (it may refuse the call
    by aborting) and, when given, its behaviour run inside `around(call, context)`; for a response
    stream the manager stays entered until the stream ends. (Most layers need only `before`: an async
    context manager costs several times a plain await, on every call.) The call is the one the task
    serves, so one wrapped handler serves every call of its method."""

    def unary(behaviour):
        async def wrapped(request, context):
            call = _CALL.get()
            context = CallContext.of(context, call)
            try:
                if before is not None:
                    await before(call, context)
                if around is None:
                    return await behaviour(request, context)
                async with around(call, context):
                    return await behaviour(request, context)
            except Exception as error:
                _note_failure(call, context, error)
                raise
        return wrapped

    def streaming(behaviour):
        if not inspect.isasyncgenfunction(behaviour):  # the context.write style (health Watch)
            return unary(behaviour)

        async def wrapped(request, context):
            call = _CALL.get()
            context = CallContext.of(context, call)
            try:
                if before is not None:
                    await before(call, context)
                async with contextlib.AsyncExitStack() as stack:
                    if around is not None:
                        await stack.enter_async_context(around(call, context))
                    responses = await stack.enter_async_context(contextlib.aclosing(behaviour(request, context)))
                    async for response in responses:
                        yield response
            except Exception as error:
                _note_failure(call, context, error)
                raise
        return wrapped

    return replace_behaviour(handler, unary, streaming)


def replace_behaviour(handler: grpc.RpcMethodHandler, unary: Callable, streaming: Callable,
                      **changes: Any) -> grpc.RpcMethodHandler:
    """A copy of the handler whose behaviour function is unary(b) or streaming(b) by response kind."""
    for name in ("unary_unary", "stream_unary"):
        behaviour = getattr(handler, name)
        if behaviour is not None:
            changes[name] = unary(behaviour)
    for name in ("unary_stream", "stream_stream"):
        behaviour = getattr(handler, name)
        if behaviour is not None:
            changes[name] = streaming(behaviour)
    return handler._replace(**changes)


def count_messages(handler: grpc.RpcMethodHandler, received: Callable[[Call, bytes], None],
                   sent: Callable[[Call, bytes], None]) -> grpc.RpcMethodHandler:
    """A copy of the handler that shows each message's bytes as they are deserialized or serialized:
    every message in or out passes through exactly one of them, whatever the handler's style."""
    deserialize, serialize = handler.request_deserializer, handler.response_serializer

    def counting_deserializer(data: bytes):
        received(_CALL.get(), data)
        return deserialize(data) if deserialize is not None else data

    def counting_serializer(message) -> bytes:
        data = serialize(message) if serialize is not None else message
        sent(_CALL.get(), data)
        return data

    return handler._replace(request_deserializer=counting_deserializer, response_serializer=counting_serializer)


def _note_failure(call: Call, context: CallContext, error: Exception) -> None:
    """Record UNKNOWN when the handler raised something other than an abort (CallContext.abort noted
    the code of those first; cancellations are not Exceptions)."""
    if call.code is None and context.code() is None:
        call.code = grpc.StatusCode.UNKNOWN
        call.details = f"{type(error).__name__}: {error}"


_WRAPPED_LIMIT = 4096  # handlers are one object per method; a bound in case a generic handler makes new ones


class Layer(grpc.aio.ServerInterceptor):
    """An interceptor whose concern runs with each call: subclasses define `before` (checks and
    bookkeeping ahead of the handler; it may abort), or `around` when the concern must surround the
    handler's work (an async context manager), and may narrow `applies` or `wrap`.

    The wrapped handler of a method is built once and kept: the per-call state is the Call."""

    before: Before | None = None
    around: Around | None = None

    def __init__(self) -> None:
        self._wrapped: dict[grpc.RpcMethodHandler, grpc.RpcMethodHandler] = {}

    async def intercept_service(self, continuation, details: grpc.HandlerCallDetails):
        handler = await continuation(details)
        if handler is None:
            return None
        if not self.applies(call_for(details, handler)):
            return handler
        wrapped = self._wrapped.get(handler)
        if wrapped is None:
            wrapped = self.wrap(handler)
            if len(self._wrapped) < _WRAPPED_LIMIT:
                self._wrapped[handler] = wrapped
        return wrapped

    def applies(self, call: Call) -> bool:
        return True

    def wrap(self, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        return around_each_call(handler, self.before, self.around)


def metadata_text(call: Call, key: str) -> str | None:
    """A text metadata value (binary `-bin` values are not text)."""
    value = call.metadata.get(key)
    return value if isinstance(value, str) else None
