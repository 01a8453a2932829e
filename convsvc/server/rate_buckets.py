"""Token buckets for the rate-limit layer: in this process (memory) or in Redis, shared by every worker
process and replica, so a key's limit is the configured one however many processes serve it.

Redis: one Lua script per take (atomic on the server) on Redis's own clock (TIME), so replicas with
skewed clocks agree; an idle bucket expires once it would be full again. When Redis cannot be reached,
calls are limited by this process's own buckets (the limit then holds per process, as with `memory`),
behind a circuit breaker so a dead Redis adds no latency; a log line says so once each way.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import time
from collections.abc import Callable

log = logging.getLogger("convsvc.rate_limit")

MAX_BUCKETS = 100_000  # memory: forget the least recently used beyond this (anonymous peers are unbounded)


@dataclasses.dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class MemoryBuckets:
    """One bucket per subject in this process; `take` answers 0 when a token was taken, else the
    seconds until one is."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._buckets: collections.OrderedDict[str, _Bucket] = collections.OrderedDict()
        self._clock = clock

    async def take(self, subject: str, per_second: float, burst: int) -> float:
        return self.take_now(subject, per_second, burst)

    def take_now(self, subject: str, per_second: float, burst: int) -> float:
        now = self._clock()
        bucket = self._buckets.get(subject)
        if bucket is None:
            bucket = self._buckets[subject] = _Bucket(tokens=burst, updated=now)
            if len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(subject)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * per_second)
            bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / per_second

    async def close(self) -> None:
        return None


# KEYS[1] bucket; ARGV tokens per second, burst -> seconds to wait (0: a token was taken), as text
_TAKE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or t
tokens = math.min(burst, tokens + math.max(0, t - updated) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(t))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisBuckets:
    """Buckets in Redis (see the module's docstring), with this process's buckets as the fallback."""

    def __init__(self, url: str, *, prefix: str = "convsvc:ratelimit:", timeout_seconds: float = 0.25,
                 reset_seconds: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url, socket_timeout=timeout_seconds,
                                           socket_connect_timeout=timeout_seconds)
        self._take = self._redis.register_script(_TAKE)
        self._prefix = prefix
        self._fallback = MemoryBuckets(clock)
        self._clock = clock
        self._reset_seconds = reset_seconds
        self._down_since: float | None = None  # the breaker: open while Redis is known down

    async def take(self, subject: str, per_second: float, burst: int) -> float:
        if self._down_since is not None and self._clock() - self._down_since < self._reset_seconds:
            return self._fallback.take_now(subject, per_second, burst)
        try:
            wait = float(await self._take(keys=[self._prefix + subject], args=[repr(per_second), burst]))
        except Exception as error:  # noqa: BLE001 - any Redis or network failure: limit locally instead
            if self._down_since is None:
                log.warning("rate-limit store unreachable (%s): limiting per process for now", error)
            self._down_since = self._clock()
            return self._fallback.take_now(subject, per_second, burst)
        if self._down_since is not None:
            log.info("rate-limit store reachable again: limits are shared again")
            self._down_since = None
        return wait

    async def close(self) -> None:
        await self._redis.aclose()
