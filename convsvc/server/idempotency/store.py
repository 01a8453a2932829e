"""The interface every idempotency store implements, and what `begin` can answer.

A record is keyed by (principal, idempotency key) and holds the fingerprint of the first request. It is
first *pending*, held by a lease until `complete` stores the outcome or `release` drops it; a pending
record whose lease ends disappears, so a duplicate can take over from a process that died mid-call.
A completed record is replayed until its TTL ends. tests/test_idempotency_stores.py is the contract.
"""

from __future__ import annotations

import dataclasses
from typing import Literal, Protocol


@dataclasses.dataclass(frozen=True, slots=True)
class Begun:
    """What `begin` found: acquired (run it; `lease` proves it), busy (someone else runs it: wait),
    done (replay `outcome`), or conflict (the key was used for a different request)."""

    state: Literal["acquired", "busy", "done", "conflict"]
    lease: str = ""
    outcome: bytes = b""


class StoreUnavailable(Exception):
    """The store cannot be reached (or the circuit breaker is open); retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Store(Protocol):
    async def begin(self, key: str, fingerprint: str, lease_seconds: float) -> Begun:
        """Atomically: create a pending record (acquired), or report the existing one."""

    async def complete(self, key: str, lease: str, outcome: bytes, ttl_seconds: float) -> bool:
        """Store the outcome if `lease` still holds the record; False when the lease was lost."""

    async def release(self, key: str, lease: str) -> None:
        """Drop a pending record held by `lease` (a transient failure: let a retry run it)."""

    async def close(self) -> None:
        ...
