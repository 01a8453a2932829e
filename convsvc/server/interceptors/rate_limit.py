"""Token-bucket rate limits per API key, or per peer address for anonymous callers.

A refused call gets RESOURCE_EXHAUSTED with RetryInfo (when the next token arrives) and QuotaFailure
(whose bucket). Buckets live in this process (`[rate_limit] store = "memory"`: with several processes
each has its own, so the effective limit is the configured one times the number of processes) or in
Redis (`store = "redis"`: one bucket per caller for every process and replica; convsvc/server/rate_buckets.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc
from google.rpc import error_details_pb2

from convsvc.server.config import RateLimitConfig
from convsvc.server.interceptors.base import Call, CallContext, Hooks, Layer, MethodPolicies
from convsvc.server.rate_buckets import MemoryBuckets, RedisBuckets
from convsvc.server.status import refusal, retry_info

class RateLimit(Layer, Hooks):
    """Public methods take no part; a caller without a limit (0, the default) costs one branch."""

    def __init__(self, settings: Callable[[], RateLimitConfig], policies: MethodPolicies,
                 buckets: MemoryBuckets | RedisBuckets | None = None) -> None:
        self._settings = settings
        self._policies = policies
        self._buckets = buckets or MemoryBuckets()
        self._local = isinstance(self._buckets, MemoryBuckets)  # no await on the memory path

    def bind(self, method: str, handler: grpc.RpcMethodHandler) -> Hooks | None:
        return None if self._policies(method).scope is None else self

    def start(self, call: Call, context: CallContext) -> Awaitable | None:
        settings = self._settings()
        if call.key is None and not settings.anonymous_requests_per_second:
            return None  # the common case, checked before building any bucket subject
        subject, per_second, burst = self._limit_of(call, call.peer or context.raw.peer(), settings)
        if per_second <= 0:
            return None
        if self._local:
            wait = self._buckets.take_now(subject, per_second, burst)
            return _refuse(context, subject, per_second, burst, wait) if wait else None
        return self._shared(context, subject, per_second, burst)

    async def _shared(self, context: CallContext, subject: str, per_second: float, burst: int) -> None:
        wait = await self._buckets.take(subject, per_second, burst)
        if wait:
            await _refuse(context, subject, per_second, burst, wait)

    async def close(self) -> None:
        await self._buckets.close()

    def _limit_of(self, call: Call, peer: str, settings: RateLimitConfig) -> tuple[str, float, int]:
        """(bucket subject, tokens per second, bucket size) for the caller."""
        if call.key is not None:
            per_second = (call.key.requests_per_second if call.key.requests_per_second is not None
                          else settings.requests_per_second)
            burst = call.key.burst or settings.burst
            subject = f"api-key:{call.key.name}"
        else:
            per_second, burst = settings.anonymous_requests_per_second, settings.anonymous_burst
            subject = f"peer:{_peer_address(peer)}"
        return subject, per_second, burst or max(1, int(per_second))


def _refuse(context: CallContext, subject: str, per_second: float, burst: int, wait: float) -> Awaitable:
    message = f"rate limit of {per_second:g} requests/s (burst {burst}) exceeded for {subject}"
    quota = error_details_pb2.QuotaFailure(violations=[
        error_details_pb2.QuotaFailure.Violation(subject=subject, description=message)])
    return context.abort_with_status(refusal(
        grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED", message, retry_info(wait), quota,
        requests_per_second=f"{per_second:g}", burst=str(burst)))


def _peer_address(peer: str) -> str:
    """ipv4:127.0.0.1:5000 -> 127.0.0.1; ipv6:[::1]:5000 -> ::1 (the port changes per connection)."""
    _, _, rest = peer.partition(":")
    host, _, _ = rest.rpartition(":")
    return host.strip("[]") or peer
