"""Idempotency stores behind one interface: memory (one process), SQLite (the embedded default) and
Redis (shared by replicas), each wrapped in a circuit breaker by `open_store`."""

from __future__ import annotations

import pathlib

from convsvc.server.idempotency.breaker import CircuitBreaker, GuardedStore
from convsvc.server.idempotency.store import Begun, Store, StoreUnavailable


def open_store(kind: str, *, path: pathlib.Path | None = None, redis_url: str = "", redis_prefix: str = "",
               timeout_seconds: float = 1.0, breaker_failures: int = 5,
               breaker_reset_seconds: float = 10.0) -> GuardedStore:
    """The configured store behind a circuit breaker and a per-operation timeout."""
    if kind == "memory":
        from convsvc.server.idempotency.memory_store import MemoryStore
        store: Store = MemoryStore()
    elif kind == "sqlite":
        from convsvc.server.idempotency.sqlite_store import SQLiteStore
        store = SQLiteStore(path)
    elif kind == "redis":
        from convsvc.server.idempotency.redis_store import RedisStore
        store = RedisStore(redis_url, prefix=redis_prefix, timeout_seconds=timeout_seconds)
    else:
        raise ValueError(f"unknown idempotency store {kind!r}")
    return GuardedStore(store, CircuitBreaker(breaker_failures, breaker_reset_seconds), timeout_seconds)


__all__ = ["Begun", "CircuitBreaker", "GuardedStore", "Store", "StoreUnavailable", "open_store"]
