"""Token-bucket rate limits per API key, or per peer address for anonymous callers.

A refused call gets RESOURCE_EXHAUSTED with RetryInfo (when the next token arrives) and QuotaFailure
(whose bucket). Buckets live in this process: with several processes each has its own, so the
effective limit is the configured one times the number of processes.
"""

from __future__ import annotations

import collections
import dataclasses
import time
from collections.abc import Awaitable, Callable

import grpc
from google.rpc import error_details_pb2

from convsvc.server.config import RateLimitConfig
from convsvc.server.interceptors.base import Call, CallContext, Hooks, Layer, MethodPolicies
from convsvc.server.status import refusal, retry_info

MAX_BUCKETS = 100_000  # forget the least recently used beyond this (anonymous peers are unbounded)


@dataclasses.dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One bucket per subject; `take` answers 0 when a token was taken, else the seconds until one is."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._buckets: collections.OrderedDict[str, _Bucket] = collections.OrderedDict()
        self._clock = clock

    def take(self, subject: str, per_second: float, burst: int) -> float:
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


class RateLimit(Layer, Hooks):
    """Public methods take no part; a caller without a limit (0, the default) costs one branch."""

    def __init__(self, settings: Callable[[], RateLimitConfig], policies: MethodPolicies) -> None:
        self._settings = settings
        self._policies = policies
        self._buckets = TokenBuckets()

    def bind(self, method: str, handler: grpc.RpcMethodHandler) -> Hooks | None:
        return None if self._policies(method).scope is None else self

    def start(self, call: Call, context: CallContext) -> Awaitable | None:
        settings = self._settings()
        if call.key is None and not settings.anonymous_requests_per_second:
            return None  # the common case, checked before building any bucket subject
        subject, per_second, burst = self._limit_of(call, call.peer or context.raw.peer(), settings)
        if per_second > 0:
            wait = self._buckets.take(subject, per_second, burst)
            if wait:
                message = f"rate limit of {per_second:g} requests/s (burst {burst}) exceeded for {subject}"
                quota = error_details_pb2.QuotaFailure(violations=[
                    error_details_pb2.QuotaFailure.Violation(subject=subject, description=message)])
                return context.abort_with_status(refusal(
                    grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED", message, retry_info(wait), quota,
                    requests_per_second=f"{per_second:g}", burst=str(burst)))
        return None

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


def _peer_address(peer: str) -> str:
    """ipv4:127.0.0.1:5000 -> 127.0.0.1; ipv6:[::1]:5000 -> ::1 (the port changes per connection)."""
    _, _, rest = peer.partition(":")
    host, _, _ = rest.rpartition(":")
    return host.strip("[]") or peer
