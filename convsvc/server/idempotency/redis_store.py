"""The Redis idempotency store: shared by every replica (redis-py asyncio).

Each operation is one Lua script, so it is atomic on the server; lease and TTL times are Redis's own
clock and key expiry, so replicas with skewed clocks agree. A pending record expires with its lease.
"""

from __future__ import annotations

import uuid

import redis.asyncio as redis

from convsvc.server.idempotency.store import Begun

# KEYS[1] record; ARGV fingerprint, new lease, lease ms -> {state, outcome}
_BEGIN = """
local record = redis.call('HMGET', KEYS[1], 'fingerprint', 'outcome')
if not record[1] then
  redis.call('HSET', KEYS[1], 'fingerprint', ARGV[1], 'lease', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'acquired', ''}
end
if record[1] ~= ARGV[1] then return {'conflict', ''} end
if record[2] then return {'done', record[2]} end
return {'busy', ''}
"""
# KEYS[1] record; ARGV lease, outcome, ttl ms -> 1 stored, 0 lease lost
_COMPLETE = """
local record = redis.call('HMGET', KEYS[1], 'lease', 'outcome')
if record[1] ~= ARGV[1] or record[2] then return 0 end
redis.call('HSET', KEYS[1], 'outcome', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""
# KEYS[1] record; ARGV lease
_RELEASE = """
local record = redis.call('HMGET', KEYS[1], 'lease', 'outcome')
if record[1] == ARGV[1] and not record[2] then redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisStore:
    def __init__(self, url: str, *, prefix: str = "convsvc:idempotency:", timeout_seconds: float = 1.0) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=timeout_seconds,
                                           socket_connect_timeout=timeout_seconds)
        self._prefix = prefix
        self._begin = self._redis.register_script(_BEGIN)
        self._complete = self._redis.register_script(_COMPLETE)
        self._release = self._redis.register_script(_RELEASE)

    async def begin(self, key: str, fingerprint: str, lease_seconds: float) -> Begun:
        lease = uuid.uuid4().hex
        state, outcome = await self._begin(keys=[self._prefix + key],
                                           args=[fingerprint, lease, _ms(lease_seconds)])
        state = state.decode()
        if state == "acquired":
            return Begun("acquired", lease=lease)
        if state == "done":
            return Begun("done", outcome=bytes(outcome))
        return Begun(state)

    async def complete(self, key: str, lease: str, outcome: bytes, ttl_seconds: float) -> bool:
        return bool(await self._complete(keys=[self._prefix + key], args=[lease, outcome, _ms(ttl_seconds)]))

    async def release(self, key: str, lease: str) -> None:
        await self._release(keys=[self._prefix + key], args=[lease])

    async def close(self) -> None:
        await self._redis.aclose()


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
