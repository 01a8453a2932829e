"""Deadlines and cancellation: a default when the client sets none, a maximum that clamps longer ones,
and work that stops when either passes or the client cancels.

The call's CancelToken (`cancel_token()`) goes to the engine, which checks it between records; a
conversion on a worker thread therefore stops within a record of the deadline, although the event
loop cannot interrupt the thread. When the server's own deadline passes, the client is told at once
(DEADLINE_EXCEEDED), whatever the handler is waiting for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import grpc

from convsvc.model import Cancelled, CancelToken
from convsvc.server.config import DeadlineConfig
from convsvc.server.interceptors.base import Call, CallContext, Hooks, Layer, MethodPolicies, current_call


_SAME_SECONDS = 0.001  # a server deadline this close to the client's is the client's (float rounding)


def cancel_token() -> CancelToken | None:
    """The token of the call this code serves, for handing to the engine (None outside a call)."""
    call = current_call()
    return call.cancel if call is not None else None


class Deadline(Layer):
    def __init__(self, settings: Callable[[], DeadlineConfig], policies: MethodPolicies) -> None:
        self._settings = settings
        self._policies = policies
        self._long_lived = _Budget(self, long_lived=True)
        self._bounded = _Budget(self, long_lived=False)

    def bind(self, method: str, handler: grpc.RpcMethodHandler) -> Hooks:
        return self._long_lived if self._policies(method).long_lived else self._bounded

    def budget(self, call: Call, client_seconds: float | None, long_lived: bool = False) -> float | None:
        """Seconds the call may still run: the client's deadline, or else the default, clamped to the
        maximum; the server's own clock started when the call arrived (receiving it counts, as it does
        for the client). Long-lived streams (health Watch, reflection) keep the client's deadline, or none."""
        if long_lived:
            return client_seconds
        settings = self._settings()
        if call.kind == "unary":
            default, maximum = settings.default_seconds, settings.max_seconds
        else:
            default, maximum = settings.stream_default_seconds, settings.stream_max_seconds
        elapsed = call.seconds()
        server = max(0.0, min(default if client_seconds is None else elapsed + client_seconds, maximum) - elapsed)
        return server if client_seconds is None else min(client_seconds, server)


class _Budget(Hooks):
    """The layer's hooks around the work of one call: the budget and token at the start, the client
    told when the server's deadline passes, the token cancelled when the work ends."""

    __slots__ = ("_layer", "_long_lived")

    def __init__(self, layer: Deadline, long_lived: bool) -> None:
        self._layer = layer
        self._long_lived = long_lived

    def start(self, call: Call, context: CallContext) -> Awaitable | None:
        client = context.raw.time_remaining()
        budget = self._layer.budget(call, client, self._long_lived)
        call.deadline = None if budget is None else time.monotonic() + budget
        call.cancel = CancelToken(call.deadline)
        if budget is not None and budget <= 0:  # spent before the handler could start (e.g. receiving)
            call.cancel.cancel("deadline")
            return context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded before the work began")
        if budget is not None and (client is None or budget < client - _SAME_SECONDS):
            # The server's deadline ends the call first: a timer tells the client. When the client's own
            # deadline is the one, gRPC cancels the call then (the client has DEADLINE_EXCEEDED already).
            call.expiry = _Expiry(context, call.cancel, budget)
        return None

    @staticmethod
    async def stopped(call: Call, context: CallContext, error: BaseException) -> None:
        if not isinstance(error, (asyncio.CancelledError, Cancelled)):
            return
        expiry = call.expiry
        if expiry is None or not expiry.start_if_due():
            call.cancel.cancel("cancelled")
            return  # re-raised: the client cancelled (or its own deadline passed: it already knows)
        if isinstance(error, asyncio.CancelledError):
            asyncio.current_task().uncancel()  # our own cancellation, answered below
        await expiry.answered()  # raises the abort: the client has DEADLINE_EXCEEDED

    @staticmethod
    def end(call: Call) -> None:
        call.cancel.cancel("ended")  # nothing started for this call may go on past it
        if call.expiry is not None:
            call.expiry.close()
            call.expiry = None  # it holds the call's task, whose frames hold the call: no cycle left for the GC


class _Expiry:
    """When the deadline passes: stop the conversion (token), tell the client (an abort in a task of
    its own, since the call's task may be busy inside gRPC writing a response), and wake the call's
    task from whatever it awaits (task.cancel) so it ends too."""

    def __init__(self, context: CallContext, token: CancelToken, budget: float) -> None:
        self._context = context
        self._token = token
        self._budget = budget
        self._task = asyncio.current_task()
        self._abort: asyncio.Task | None = None
        loop = asyncio.get_running_loop()
        self._timer = loop.call_at(loop.time() + budget, self._fire)

    def _fire(self) -> None:
        if self._abort is None and self.start_if_due(timer=True):
            self._task.cancel()

    def start_if_due(self, timer: bool = False) -> bool:
        """Start telling the client, once, if the deadline has passed (the timer says so by firing);
        True when it is being told."""
        if self._abort is None:
            if not timer and self._token.deadline is not None and time.monotonic() < self._token.deadline:
                return False
            if self._context.done():  # the handler already answered
                return False
            self._token.cancel("deadline")
            self._abort = asyncio.get_running_loop().create_task(self._send())
        return True

    async def _send(self) -> BaseException | None:
        if self._task.done():  # the call is over (and gRPC may have released it): nobody to tell
            return None
        try:
            await self._context.abort(grpc.StatusCode.DEADLINE_EXCEEDED,
                                      f"deadline of {self._budget:.3f} s exceeded; the work was stopped")
        except Exception as error:  # the abort raises by design; the call's task re-raises it
            return error
        return None

    async def answered(self) -> None:
        """Wait until the client has been told, then raise the abort it was told with (gRPC expects the
        call's task to raise it). The call's task must not end first: gRPC releases the call then."""
        cancelled = False
        while not self._abort.done():
            try:
                await asyncio.shield(self._abort)
            except asyncio.CancelledError:  # the client went away meanwhile: still wait, then say so
                cancelled = True
        error = self._abort.result()
        if cancelled or error is None:
            raise asyncio.CancelledError()
        raise error

    def close(self) -> None:
        self._timer.cancel()
