"""Idempotency keys: a repeated call replays the first one's outcome instead of running again.

With `idempotency-key` metadata on a unary call, the outcome (response, or error with its details) is
stored with a fingerprint of the method and request bytes, scoped to the caller's principal, for the
TTL. A repeat replays it with the trailer `idempotent-replayed: true`; the same key with a different
request is refused (FAILED_PRECONDITION); a duplicate arriving while the first still runs waits for it
(the store's lease works across processes) until its own deadline. Transient outcomes (cancelled,
deadline exceeded, unavailable, internal...) are not stored: a retry runs the call again.

`call.idempotency` (logged, and counted in convsvc_idempotency_total) says what the key did: stored,
replayed, conflict, released (transient outcome), bypassed (store down, call ran anyway), unavailable
(store down, call refused), invalid (malformed key) or unsupported (streaming call).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
from collections.abc import Awaitable, Callable

import grpc
from google.rpc import error_details_pb2

from convsvc.server import metrics
from convsvc.server.config import IdempotencyConfig
from convsvc.server.idempotency import GuardedStore, StoreUnavailable
from convsvc.server.idempotency.outcome import Outcome
from convsvc.server.interceptors.base import (
    Call, CallContext, Hooks, Layer, MethodPolicies, Serialized, metadata_text,
)
from convsvc.server.keys import ANONYMOUS
from convsvc.server.status import refusal, retry_info

log = logging.getLogger("convsvc.idempotency")

HEADER = "idempotency-key"
REPLAYED = "idempotent-replayed"
_KEY = re.compile(r"[\x21-\x7e]{8,128}")  # a UUID or similar: visible ASCII, no spaces
_HASH_ON_THREAD_BYTES = 256 * 1024  # as the servicer's threshold: bigger requests hash off the event loop
_LEASE_MARGIN_SECONDS = 5.0  # the holder's deadline ends its work; the lease outlives it by this much
_DEFAULT_LEASE_SECONDS = 60.0  # for a call without a deadline (no deadline layer in the stack)
_POLL_FIRST, _POLL_MAX = 0.005, 0.25  # a waiting duplicate polls the store with this backoff
# Outcomes a retry would get again are stored; transient ones are not, so the retry runs.
_STORED_CODES = {
    grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.RESOURCE_EXHAUSTED,
}
_CODE_OF = {code.value[0]: code for code in grpc.StatusCode}


class Idempotency(Layer):
    """Public methods take no part; a call without the header costs one branch."""

    def __init__(self, store: GuardedStore, settings: Callable[[], IdempotencyConfig],
                 policies: MethodPolicies) -> None:
        self._store = store
        self._settings = settings
        self._policies = policies

    def bind(self, method: str, handler: grpc.RpcMethodHandler) -> Hooks | None:
        if self._policies(method).scope is None:
            return None
        if handler.request_streaming or handler.response_streaming:
            return _StreamKeys()
        return _UnaryKeys(self, handler.response_serializer)

    async def _handle(self, call: Call, context: CallContext, key: str, serialize, run):
        if not _KEY.fullmatch(key):
            _result(call, "invalid")
            violation = error_details_pb2.BadRequest.FieldViolation(
                field=HEADER, reason="IDEMPOTENCY_KEY_INVALID",
                description="8 to 128 visible ASCII characters, e.g. a UUID")
            await context.abort_with_status(refusal(
                grpc.StatusCode.INVALID_ARGUMENT, "IDEMPOTENCY_KEY_INVALID",
                "the idempotency-key must be 8 to 128 visible ASCII characters, e.g. a UUID",
                error_details_pb2.BadRequest(field_violations=[violation])))
        settings = self._settings()
        record = f"{call.principal or ANONYMOUS}:{key}"  # principal names cannot contain ':'
        fingerprint = await _fingerprint(call.method, call.request_bytes)
        try:
            begun = await self._begin_when_free(record, fingerprint, _lease_seconds(call))
        except StoreUnavailable as error:
            if settings.on_store_failure == "refuse":
                _result(call, "unavailable")
                await context.abort_with_status(refusal(
                    grpc.StatusCode.UNAVAILABLE, "IDEMPOTENCY_STORE_UNAVAILABLE",
                    "the idempotency store is unavailable; retry later", retry_info(error.retry_after)))
            _result(call, "bypassed")
            log.warning("idempotency store unavailable, running without it: %s", error)
            return await run()
        if begun.state == "conflict":
            _result(call, "conflict")
            violation = error_details_pb2.PreconditionFailure.Violation(
                type="IDEMPOTENCY_KEY_REUSED", subject=f"idempotency-key:{key}",
                description="this key was used for a different request (method or body); use a new key")
            await context.abort_with_status(refusal(
                grpc.StatusCode.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED",
                f"idempotency-key {key!r} was already used for a different request",
                error_details_pb2.PreconditionFailure(violations=[violation]), idempotency_key=key))
        if begun.state == "done":
            _result(call, "replayed")
            return await _replay(Outcome.from_bytes(begun.outcome), context)
        return await self._run_and_store(call, record, begun.lease, serialize, run, settings.ttl_seconds)

    async def _begin_when_free(self, record: str, fingerprint: str, lease_seconds: float):
        """begin(); while another call holds the key, poll until it is done (or our deadline ends us)."""
        delay = _POLL_FIRST
        while True:
            begun = await self._store.begin(record, fingerprint, lease_seconds)
            if begun.state != "busy":
                return begun
            await asyncio.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)

    async def _run_and_store(self, call: Call, record: str, lease: str, serialize, run, ttl_seconds: float):
        try:
            response = await run()
        except BaseException:
            if call.code in _STORED_CODES:
                outcome = Outcome(call.code.value[0], call.details, _without_sticky(call.status_trailers))
                await self._keep(call, record, lease, outcome, ttl_seconds)
            else:  # transient or unexpected: let a retry run the call again
                _result(call, "released")
                with contextlib.suppress(StoreUnavailable):
                    await self._store.release(record, lease)
            raise
        data = response.data if type(response) is Serialized else serialize(response)
        await self._keep(call, record, lease, Outcome(0, "", _without_sticky(call.handler_trailers), data),
                         ttl_seconds)
        return Serialized(data)

    async def _keep(self, call: Call, record: str, lease: str, outcome: Outcome, ttl_seconds: float) -> None:
        """Store the outcome before the answer leaves; if that fails the answer still goes out."""
        try:
            kept = await self._store.complete(record, lease, outcome.to_bytes(), ttl_seconds)
        except StoreUnavailable as error:
            log.warning("idempotency outcome not stored: %s", error)
            kept = False
        _result(call, "stored" if kept else "released")


class _UnaryKeys(Hooks):
    """A unary method: with the header, the layer runs the call's work (replay, or run and store)."""

    __slots__ = ("_layer", "_serialize")

    def __init__(self, layer: Idempotency, serialize: Callable | None) -> None:
        self._layer = layer
        self._serialize = serialize if serialize is not None else (lambda message: message)

    def start(self, call: Call, context: CallContext) -> None:
        if HEADER in call.metadata:
            if call.runs is None:
                call.runs = [self.run]
            else:
                call.runs.append(self.run)

    @staticmethod
    def received(call: Call, data: bytes) -> None:
        if HEADER in call.metadata:  # for the fingerprint, without serializing the request again
            call.request_bytes = data

    async def run(self, call: Call, context: CallContext, request, proceed):
        return await self._layer._handle(call, context, metadata_text(call, HEADER) or "", self._serialize,
                                         lambda: proceed(request, context))


class _StreamKeys(Hooks):
    __slots__ = ()

    @staticmethod
    def start(call: Call, context: CallContext) -> Awaitable | None:
        if HEADER not in call.metadata:
            return None
        _result(call, "unsupported")
        return context.abort_with_status(refusal(
            grpc.StatusCode.INVALID_ARGUMENT, "IDEMPOTENCY_KEY_UNSUPPORTED",
            "idempotency-key applies to unary calls only; a stream cannot be replayed"))


async def _replay(outcome: Outcome, context: CallContext):
    context.add_sticky_trailer(REPLAYED, "true")
    if outcome.code == 0:
        if outcome.trailers:
            context.set_trailing_metadata(outcome.trailers)
        return Serialized(outcome.response)
    await context.abort(_CODE_OF[outcome.code], outcome.details, outcome.trailers)


async def _fingerprint(method: str, raw: bytes) -> str:
    digest = hashlib.sha256(method.encode() + b"\0")
    if len(raw) > _HASH_ON_THREAD_BYTES:
        await asyncio.to_thread(digest.update, raw)  # hashlib releases the GIL for large inputs
    else:
        digest.update(raw)
    return digest.hexdigest()


def _lease_seconds(call: Call) -> float:
    if call.deadline is None:
        return _DEFAULT_LEASE_SECONDS
    return max(0.0, call.deadline - time.monotonic()) + _LEASE_MARGIN_SECONDS


def _without_sticky(trailers: tuple) -> tuple:
    """Trailers to store: not this call's request id, which a replay replaces with its own."""
    return tuple((key, value) for key, value in trailers if key not in ("x-request-id", REPLAYED))


def _result(call: Call, result: str) -> None:
    call.idempotency = result
    metrics.record_idempotency(result)
