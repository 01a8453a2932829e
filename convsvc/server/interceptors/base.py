"""What the layers share: the per-call record, the context proxy, method policies, and the Stack that
runs every layer of a call as one grpc interceptor.

Each concern (request log, metrics, auth, rate limit, deadline, idempotency) is a `Layer` in a module of
its own; convsvc/server/app.py lists them in order, outermost first, and hands the list to one `Stack`.
grpc.aio awaits every interceptor's `intercept_service` on every call and each re-wrapped handler adds
a coroutine (and, for a stream, a generator relay per message), so six interceptors cost several times
one: the Stack is the only interceptor, and per method it builds one handler that runs the enabled
layers' hooks in order, with no per-layer wrapping, closures or coroutine hops. Per method, each layer
says once (`Layer.bind`) whether it takes part and with what (`Hooks`): auth and rate limits are off
for public methods, metric children are looked up then; what can change per call (keys configured,
rate limits, an idempotency-key header) costs one branch in the hook.

The record of the call (`Call`) is shared by every hook through a context variable, and the handler and
every hook see a `CallContext` proxy that notes how the call ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import functools
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
    expiry: Any = None  # what tells the client when the server's deadline passes (deadline layer)
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
    runs: list | None = None  # layers' `run` hooks that take over this call's work (Hooks.run)

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


def current_call() -> Call | None:
    """The call being served by this task (or worker thread started from it), if any."""
    return _CALL.get()


class CallContext:
    """The servicer context as the handler and the layers see it (delegating the rest).

    It records how the call ended (code, details and trailers of an abort) in the Call, and keeps the
    sticky trailers (x-request-id, idempotent-replayed) in every outcome: grpc.aio sends the status at
    abort() time, with only the trailers passed to it, so they must be merged in there.
    """

    __slots__ = ("_context", "call")

    def __init__(self, context: grpc.aio.ServicerContext, call: Call) -> None:
        self._context = context
        self.call = call

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    @property
    def raw(self) -> grpc.aio.ServicerContext:
        """gRPC's own context (for the layers: no delegation per attribute)."""
        return self._context

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


class Serialized:
    """A response already serialized (stored, or replayed by a layer): the response serializer sends
    its bytes as they are."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


class Hooks:
    """What one layer does in the calls of one method (`Layer.bind`); every hook is optional.

    - `start(call, context)`: before the handler, in the stack's order. Returns None to go on, or an
      awaitable the stack awaits before going on: a refusal is `return context.abort_with_status(...)`
      (it raises), a check that must wait (a remote store) is a coroutine of the layer's.
    - `stopped(call, context, error)` (async): the work after this layer's start raised `error` (an
      Exception or a cancellation); it may raise something else instead. Innermost layer first.
    - `end(call)`: the work after this layer's start ended, however. Innermost layer first.
    - `received(call, data)`, `sent(call, data)`: the bytes of each message in or out (every one
      passes through exactly one of them, whatever the handler's style).
    - `finish(call, code)`: the call is over (its status sent, or the client gone), however it ended;
      in the stack's order.
    - `run(call, context, request, proceed)` (async, unary responses only): takes over running the
      work of a call whose `start` put it in `call.runs`; `await proceed(request, context)` runs the
      rest (the handler, or the next layer's run).
    """

    __slots__ = ()
    start: Callable[["Call", CallContext], Awaitable | None] | None = None
    stopped: Callable[["Call", CallContext, BaseException], Awaitable[None]] | None = None
    end: Callable[["Call"], None] | None = None
    received: Callable[["Call", bytes], None] | None = None
    sent: Callable[["Call", bytes], None] | None = None
    finish: Callable[["Call", grpc.StatusCode], None] | None = None
    run: Callable[..., Awaitable[Any]] | None = None


class Layer:
    """One concern of every call. `bind` says, once per method, what the layer does in its calls
    (Hooks, often the layer itself) or None when it takes no part in them."""

    def bind(self, method: str, handler: grpc.RpcMethodHandler) -> Hooks | None:
        raise NotImplementedError


def kind_of(handler: grpc.RpcMethodHandler) -> str:
    return KINDS[bool(handler.request_streaming), bool(handler.response_streaming)]


class _Plan:
    """The layers' hooks for one method, in order, and the handler that runs them."""

    __slots__ = ("source", "kind", "starts", "stops", "ends", "receives", "sends", "finishes", "handler")

    def __init__(self, source: grpc.RpcMethodHandler, method: str, layers: list[Layer]) -> None:
        self.source = source
        self.kind = kind_of(source)
        bound = [hooks for hooks in (layer.bind(method, source) for layer in layers) if hooks is not None]
        starts, stops, ends = [], [], []
        for hooks in bound:
            if hooks.start is not None:
                starts.append(hooks.start)
            position = len(starts)  # the hooks below guard the work once this many starts are done
            if hooks.stopped is not None:
                stops.append((position, hooks.stopped))
            if hooks.end is not None:
                ends.append((position, hooks.end))
        self.starts = tuple(starts)
        self.stops = tuple(reversed(stops))  # innermost first
        self.ends = tuple(reversed(ends))
        self.receives = tuple(hooks.received for hooks in bound if hooks.received is not None)
        self.sends = tuple(hooks.sent for hooks in bound if hooks.sent is not None)
        self.finishes = tuple(hooks.finish for hooks in bound if hooks.finish is not None)
        self.handler = self._handler(source)

    def _handler(self, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        changes: dict[str, Any] = {"request_deserializer": self._deserializer(handler.request_deserializer),
                                   "response_serializer": self._serializer(handler.response_serializer)}
        for name in ("unary_unary", "stream_unary", "unary_stream", "stream_stream"):
            behaviour = getattr(handler, name)
            if behaviour is not None:
                streams = name.endswith("stream") and inspect.isasyncgenfunction(behaviour)
                changes[name] = self._streaming(behaviour) if streams else self._unary(behaviour)
        return handler._replace(**changes)

    def _deserializer(self, deserialize: Callable | None) -> Callable:
        receives = self.receives

        def deserializer(data: bytes):
            call = _CALL.get()
            for received in receives:
                received(call, data)
            return deserialize(data) if deserialize is not None else data
        return deserializer

    def _serializer(self, serialize: Callable | None) -> Callable:
        sends = self.sends

        def serializer(message) -> bytes:
            if type(message) is Serialized:
                data = message.data
            else:
                data = serialize(message) if serialize is not None else message
            call = _CALL.get()
            for sent in sends:
                sent(call, data)
            return data
        return serializer

    def _unary(self, behaviour: Callable) -> Callable:
        """Unary responses (and the context.write style of response streams, e.g. health Watch)."""
        starts, stops, ends, finishes = self.starts, self.stops, self.ends, self.finishes

        async def handle(request, context):
            call = _CALL.get()
            proxy = CallContext(context, call)
            # One done callback, not code after the handler: it runs however the call ends, a stream
            # the client cancelled midway included.
            context.add_done_callback(functools.partial(_finished, finishes, call))
            begun = 0
            try:
                for start in starts:
                    pending = start(call, proxy)
                    if pending is not None:
                        await pending
                    begun += 1
                if call.runs is None:
                    return await behaviour(request, proxy)
                return await _chain(call, behaviour)(request, proxy)
            except (asyncio.CancelledError, Exception) as error:
                await _stopped(stops, begun, call, proxy, error)
                raise
            finally:
                for position, end in ends:
                    if position <= begun:
                        end(call)
        return handle

    def _streaming(self, behaviour: Callable) -> Callable:
        """Response streams written by an async generator: the hooks around the whole stream."""
        starts, stops, ends, finishes = self.starts, self.stops, self.ends, self.finishes

        async def handle(request, context):
            call = _CALL.get()
            proxy = CallContext(context, call)
            context.add_done_callback(functools.partial(_finished, finishes, call))
            begun = 0
            try:
                for start in starts:
                    pending = start(call, proxy)
                    if pending is not None:
                        await pending
                    begun += 1
                async with contextlib.aclosing(behaviour(request, proxy)) as responses:
                    async for response in responses:
                        yield response
            except (asyncio.CancelledError, Exception) as error:
                await _stopped(stops, begun, call, proxy, error)
                raise
            finally:
                for position, end in ends:
                    if position <= begun:
                        end(call)
        return handle


def _chain(call: Call, behaviour: Callable) -> Callable:
    """The handler behind the `run` hooks this call's layers asked for, outermost first."""
    work = behaviour
    for run in reversed(call.runs):
        work = functools.partial(_run, run, call, work)
    return work


async def _run(run: Callable, call: Call, proceed: Callable, request, context):
    return await run(call, context, request, proceed)


async def _stopped(stops: tuple, begun: int, call: Call, context: CallContext, error: BaseException) -> None:
    """The `stopped` hooks of the layers whose start was done (innermost first), then UNKNOWN noted
    for an unexpected exception; raises whatever a hook raises instead of `error`."""
    try:
        for position, stopped in stops:
            if position <= begun:
                await stopped(call, context, error)
    except Exception as replaced:
        _note_failure(call, context, replaced)
        raise
    if isinstance(error, Exception):
        _note_failure(call, context, error)


def _finished(finishes: tuple, call: Call, context: grpc.aio.ServicerContext) -> None:
    code = call.outcome(context)
    for finish in finishes:
        finish(call, code)


def _note_failure(call: Call, context: CallContext, error: Exception) -> None:
    """Record UNKNOWN when the handler raised something other than an abort (CallContext.abort noted
    the code of those first; cancellations are not Exceptions)."""
    if call.code is None and context.raw.code() is None:
        call.code = grpc.StatusCode.UNKNOWN
        call.details = f"{type(error).__name__}: {error}"


_PLANS_LIMIT = 4096  # handlers are one object per method; a bound in case a generic handler makes new ones


class Stack(grpc.aio.ServerInterceptor):
    """The one interceptor: the layers, outermost first, run as one per call (see the module's docstring).

    The plan of a method (its layers' hooks and the handler running them) is built on its first call
    and kept; the per-call state is the Call."""

    def __init__(self, layers: list[Layer]) -> None:
        self.layers = list(layers)
        self._plans: dict[str, _Plan] = {}

    async def intercept_service(self, continuation, details: grpc.HandlerCallDetails):
        handler = await continuation(details)
        if handler is None:
            return None
        method = details.method
        plan = self._plans.get(method)
        if plan is None or plan.source is not handler:
            plan = _Plan(handler, method, self.layers)
            if len(self._plans) < _PLANS_LIMIT:
                self._plans[method] = plan
        metadata = details.invocation_metadata
        # grpc.aio looks up the handler (running this) in the call's own task, then runs the handler in
        # that same task, so a context variable set here is the call's alone.
        _CALL.set(Call(method, plan.kind, dict(reversed(metadata)) if metadata else {}))  # first value per key
        return plan.handler


def metadata_text(call: Call, key: str) -> str | None:
    """A text metadata value (binary `-bin` values are not text)."""
    value = call.metadata.get(key)
    return value if isinstance(value, str) else None
