"""Deadlines and cancellation: a default when the client sets none, a maximum that clamps longer ones,
and work that stops when either passes or the client cancels.

The call's CancelToken (`cancel_token()`) goes to the engine, which checks it between records; a
conversion on a worker thread therefore stops within a record of the deadline, although the event
loop cannot interrupt the thread. When the server's own deadline passes, the client is told at once
(DEADLINE_EXCEEDED), whatever the handler is waiting for.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import grpc

from convsvc.model import Cancelled, CancelToken
from convsvc.server.config import DeadlineConfig
from convsvc.server.interceptors.base import Call, CallContext, Layer, MethodPolicies, current_call


def cancel_token() -> CancelToken | None:
    """The token of the call this code serves, for handing to the engine (None outside a call)."""
    call = current_call()
    return call.cancel if call is not None else None


class Deadline(Layer):
    def __init__(self, settings: Callable[[], DeadlineConfig], policies: MethodPolicies) -> None:
        super().__init__()
        self._settings = settings
        self._policies = policies

    def budget(self, call: Call, client_seconds: float | None) -> float | None:
        """Seconds the call may still run: the client's deadline, or else the default, clamped to the
        maximum; the server's own clock started when the call arrived (receiving it counts, as it does
        for the client). Long-lived streams (health Watch, reflection) keep the client's deadline, or none."""
        if self._policies(call.method).long_lived:
            return client_seconds
        settings = self._settings()
        if call.kind == "unary":
            default, maximum = settings.default_seconds, settings.max_seconds
        else:
            default, maximum = settings.stream_default_seconds, settings.stream_max_seconds
        elapsed = call.seconds()
        server = max(0.0, min(default if client_seconds is None else elapsed + client_seconds, maximum) - elapsed)
        return server if client_seconds is None else min(client_seconds, server)

    @contextlib.asynccontextmanager
    async def around(self, call: Call, context: CallContext):
        budget = self.budget(call, context.time_remaining())
        call.deadline = None if budget is None else time.monotonic() + budget
        call.cancel = CancelToken(call.deadline)
        if budget is not None and budget <= 0:  # spent before the handler could start (e.g. receiving)
            call.cancel.cancel("deadline")
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded before the work began")
        expiry = _Expiry(context, call.cancel, budget) if budget is not None else None
        try:
            yield
        except (asyncio.CancelledError, Cancelled) as stop:
            if expiry is None or not expiry.start_if_due():
                call.cancel.cancel("cancelled")
                raise  # the client cancelled (or its own deadline passed: it already knows)
            if isinstance(stop, asyncio.CancelledError):
                asyncio.current_task().uncancel()  # our own cancellation, answered below
            await expiry.answered()  # raises the abort: the client has DEADLINE_EXCEEDED
        finally:
            call.cancel.cancel("ended")  # nothing started for this call may go on past it
            if expiry is not None:
                expiry.close()


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
