"""The in-memory idempotency store: one process only (tests, or a single worker that may forget on restart)."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable

from convsvc.server.idempotency.store import Begun

_SWEEP_SECONDS = 60.0


@dataclasses.dataclass(slots=True)
class _Record:
    fingerprint: str
    lease: str
    expires: float
    outcome: bytes | None = None


class MemoryStore:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._records: dict[str, _Record] = {}
        self._clock = clock
        self._swept = clock()

    async def begin(self, key: str, fingerprint: str, lease_seconds: float) -> Begun:
        now = self._clock()
        self._sweep(now)
        record = self._records.get(key)
        if record is None or record.expires <= now:
            lease = uuid.uuid4().hex
            self._records[key] = _Record(fingerprint, lease, now + lease_seconds)
            return Begun("acquired", lease=lease)
        if record.fingerprint != fingerprint:
            return Begun("conflict")
        if record.outcome is not None:
            return Begun("done", outcome=record.outcome)
        return Begun("busy")

    async def complete(self, key: str, lease: str, outcome: bytes, ttl_seconds: float) -> bool:
        now = self._clock()
        record = self._records.get(key)
        if record is None or record.lease != lease or record.outcome is not None or record.expires <= now:
            return False
        record.outcome, record.expires = outcome, now + ttl_seconds
        return True

    async def release(self, key: str, lease: str) -> None:
        record = self._records.get(key)
        if record is not None and record.lease == lease and record.outcome is None:
            del self._records[key]

    async def close(self) -> None:
        self._records.clear()

    def _sweep(self, now: float) -> None:
        if now - self._swept >= _SWEEP_SECONDS:
            self._swept = now
            for key in [key for key, record in self._records.items() if record.expires <= now]:
                del self._records[key]
