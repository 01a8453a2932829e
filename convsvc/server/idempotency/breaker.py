"""A circuit breaker around the idempotency store, so a dead store stops adding latency to every call.

Closed: calls go through, each bounded by a timeout. After `failures` consecutive failures it opens:
calls fail at once (StoreUnavailable, with how long until the next try) for `reset_seconds`. Then one
trial call goes through (half-open): success closes it, failure opens it again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from convsvc.server.idempotency.store import Begun, Store, StoreUnavailable

log = logging.getLogger("convsvc.idempotency")


class CircuitBreaker:
    def __init__(self, failures: int = 5, reset_seconds: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._threshold = failures
        self._reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def open(self) -> bool:
        return self._opened_at is not None

    def before_call(self) -> None:
        """Raise StoreUnavailable while open; let exactly one trial call through once the wait is over."""
        if self._opened_at is None:
            return
        wait = self._opened_at + self._reset_seconds - self._clock()
        if wait > 0 or self._trial_running:
            raise StoreUnavailable("idempotency store unavailable (circuit breaker open)",
                                   retry_after=max(wait, 0.1))
        self._trial_running = True

    def succeeded(self) -> None:
        if self._opened_at is not None:
            log.info("idempotency store reachable again: circuit breaker closed")
        self._failures, self._opened_at, self._trial_running = 0, None, False

    def abandoned(self) -> None:
        """A call gave up before the store answered (the caller was cancelled): no verdict on the store."""
        self._trial_running = False

    def failed(self) -> float:
        """Count a failure; returns the seconds a caller should wait before retrying."""
        self._failures += 1
        self._trial_running = False
        if self._opened_at is not None or self._failures >= self._threshold:
            if self._opened_at is None:
                log.warning("idempotency store failing: circuit breaker open for %.1f s", self._reset_seconds)
            self._opened_at = self._clock()
            return self._reset_seconds
        return 1.0


class GuardedStore:
    """A Store whose every operation passes the breaker and a timeout; any failure is StoreUnavailable."""

    def __init__(self, store: Store, breaker: CircuitBreaker, timeout_seconds: float) -> None:
        self.store = store
        self.breaker = breaker
        self._timeout = timeout_seconds

    async def begin(self, key: str, fingerprint: str, lease_seconds: float) -> Begun:
        return await self._guarded(self.store.begin, key, fingerprint, lease_seconds)

    async def complete(self, key: str, lease: str, outcome: bytes, ttl_seconds: float) -> bool:
        return await self._guarded(self.store.complete, key, lease, outcome, ttl_seconds)

    async def release(self, key: str, lease: str) -> None:
        await self._guarded(self.store.release, key, lease)

    async def close(self) -> None:
        await self.store.close()

    async def _guarded(self, operation: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        self.breaker.before_call()
        try:
            async with asyncio.timeout(self._timeout):
                result = await operation(*args)
        except Exception as error:  # connection refused, timeout, disk full...: the store's trouble
            retry_after = self.breaker.failed()
            raise StoreUnavailable(f"idempotency store unavailable: {type(error).__name__}: {error}",
                                   retry_after=retry_after) from error
        except BaseException:  # the call itself was cancelled: says nothing about the store
            self.breaker.abandoned()
            raise
        self.breaker.succeeded()
        return result
