"""The idempotency store contract, run against every store (memory, SQLite, Redis), and the circuit breaker.

Redis tests need $CONVSVC_TEST_REDIS_URL (`eval "$(scripts/services.sh env)"` after
`scripts/services.sh start redis`); they fail without it under CI=true and are skipped otherwise.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from convsvc.server.idempotency import CircuitBreaker, GuardedStore, StoreUnavailable
from convsvc.server.idempotency.memory_store import MemoryStore
from convsvc.server.idempotency.outcome import Outcome
from convsvc.server.idempotency.sqlite_store import SQLiteStore
from tests.serving import redis_url

STORES = ["memory", "sqlite", "redis"]


def make_store(kind: str, tmp_path, prefix: str):
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SQLiteStore(tmp_path / "idempotency.sqlite3")
    from convsvc.server.idempotency.redis_store import RedisStore

    return RedisStore(redis_url(), prefix=prefix)


@pytest.fixture(params=STORES)
async def store(request, tmp_path):
    # A prefix of its own: other engineers' tests share the Redis server.
    made = make_store(request.param, tmp_path, f"convsvc-test:{uuid.uuid4().hex}:")
    yield made
    await made.close()


async def test_the_first_begin_acquires_the_key(store):
    begun = await store.begin("alice:k1", "fp", 10)
    assert begun.state == "acquired" and begun.lease


async def test_a_duplicate_while_the_first_runs_is_busy(store):
    await store.begin("alice:k1", "fp", 10)
    assert (await store.begin("alice:k1", "fp", 10)).state == "busy"


async def test_a_completed_key_replays_the_stored_outcome_byte_for_byte(store):
    begun = await store.begin("alice:k1", "fp", 10)
    outcome = Outcome(0, "", (("x", "1"), ("grpc-status-details-bin", b"\x00\xff")), b"\x00" * 10 + b"\n\xff")
    assert await store.complete("alice:k1", begun.lease, outcome.to_bytes(), 60)
    again = await store.begin("alice:k1", "fp", 10)
    assert again.state == "done"
    assert Outcome.from_bytes(again.outcome) == outcome


async def test_the_same_key_with_another_fingerprint_conflicts_while_pending_and_when_done(store):
    begun = await store.begin("alice:k1", "fp", 10)
    assert (await store.begin("alice:k1", "other", 10)).state == "conflict"
    await store.complete("alice:k1", begun.lease, Outcome(0).to_bytes(), 60)
    assert (await store.begin("alice:k1", "other", 10)).state == "conflict"


async def test_keys_of_different_principals_are_independent(store):
    await store.begin("alice:k1", "fp", 10)
    assert (await store.begin("bob:k1", "other", 10)).state == "acquired"


async def test_a_released_key_can_be_acquired_again(store):
    begun = await store.begin("alice:k1", "fp", 10)
    await store.release("alice:k1", begun.lease)
    assert (await store.begin("alice:k1", "other", 10)).state == "acquired"


async def test_an_expired_lease_lets_a_duplicate_take_over_and_the_old_holder_cannot_complete(store):
    first = await store.begin("alice:k1", "fp", 0.2)
    await asyncio.sleep(0.4)
    second = await store.begin("alice:k1", "fp", 10)
    assert second.state == "acquired" and second.lease != first.lease
    assert not await store.complete("alice:k1", first.lease, Outcome(0, response=b"old").to_bytes(), 60)
    assert await store.complete("alice:k1", second.lease, Outcome(0, response=b"new").to_bytes(), 60)
    assert Outcome.from_bytes((await store.begin("alice:k1", "fp", 10)).outcome).response == b"new"


async def test_a_stale_release_does_not_drop_the_new_holder(store):
    first = await store.begin("alice:k1", "fp", 0.2)
    await asyncio.sleep(0.4)
    await store.begin("alice:k1", "fp", 10)
    await store.release("alice:k1", first.lease)
    assert (await store.begin("alice:k1", "fp", 10)).state == "busy"


async def test_an_outcome_is_forgotten_after_its_ttl(store):
    begun = await store.begin("alice:k1", "fp", 10)
    await store.complete("alice:k1", begun.lease, Outcome(0).to_bytes(), 0.2)
    await asyncio.sleep(0.4)
    assert (await store.begin("alice:k1", "other", 10)).state == "acquired"


async def test_a_completed_outcome_cannot_be_overwritten(store):
    begun = await store.begin("alice:k1", "fp", 10)
    assert await store.complete("alice:k1", begun.lease, Outcome(0, response=b"1").to_bytes(), 60)
    assert not await store.complete("alice:k1", begun.lease, Outcome(0, response=b"2").to_bytes(), 60)


async def test_a_large_outcome_round_trips(store):
    begun = await store.begin("alice:k1", "fp", 10)
    response = os.urandom(3 * 1024 * 1024)
    await store.complete("alice:k1", begun.lease, Outcome(0, response=response).to_bytes(), 60)
    assert Outcome.from_bytes((await store.begin("alice:k1", "fp", 10)).outcome).response == response


async def test_of_many_concurrent_begins_exactly_one_acquires(store):
    results = await asyncio.gather(*(store.begin("alice:race", "fp", 10) for _ in range(50)))
    assert sorted(r.state for r in results) == ["acquired"] + ["busy"] * 49


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_two_store_instances_on_the_same_data_agree_like_two_processes(kind, tmp_path):
    prefix = f"convsvc-test:{uuid.uuid4().hex}:"
    one, two = make_store(kind, tmp_path, prefix), make_store(kind, tmp_path, prefix)
    try:
        results = await asyncio.gather(*(s.begin("alice:k", "fp", 10) for s in (one, two) * 10))
        assert sorted(r.state for r in results) == ["acquired"] + ["busy"] * 19
        winner = next(r for r in results if r.state == "acquired")
        holder = one if results.index(winner) % 2 == 0 else two
        await holder.complete("alice:k", winner.lease, Outcome(0, response=b"x").to_bytes(), 60)
        assert (await (two if holder is one else one).begin("alice:k", "fp", 10)).state == "done"
    finally:
        await one.close()
        await two.close()


# -- circuit breaker --------------------------------------------------------------------------------

class FlakyStore(MemoryStore):
    """A store whose operations hang (`hang`) or fail (`fail`) on demand, counting the calls it gets."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.hang = self.fail = False

    async def begin(self, key, fingerprint, lease_seconds):
        self.calls += 1
        if self.hang:
            await asyncio.sleep(3600)
        if self.fail:
            raise ConnectionError("store down")
        return await super().begin(key, fingerprint, lease_seconds)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_hanging_store_costs_a_timeout_until_the_breaker_opens_then_nothing():
    inner, clock = FlakyStore(), Clock()
    guarded = GuardedStore(inner, CircuitBreaker(failures=3, reset_seconds=10, clock=clock), timeout_seconds=0.05)
    inner.hang = True
    for _ in range(3):
        with pytest.raises(StoreUnavailable):
            await guarded.begin("k", "fp", 10)
    assert inner.calls == 3
    for _ in range(20):  # open: refused at once, the store is not even called
        with pytest.raises(StoreUnavailable) as caught:
            await guarded.begin("k", "fp", 10)
        assert 0 < caught.value.retry_after <= 10
    assert inner.calls == 3


async def test_after_the_reset_time_one_trial_call_closes_the_breaker_when_the_store_is_back():
    inner, clock = FlakyStore(), Clock()
    guarded = GuardedStore(inner, CircuitBreaker(failures=2, reset_seconds=10, clock=clock), timeout_seconds=1)
    inner.fail = True
    for _ in range(2):
        with pytest.raises(StoreUnavailable):
            await guarded.begin("k", "fp", 10)
    clock.now += 11
    with pytest.raises(StoreUnavailable):  # the trial fails: open again for another 10 s
        await guarded.begin("k", "fp", 10)
    assert inner.calls == 3
    with pytest.raises(StoreUnavailable):
        await guarded.begin("k", "fp", 10)
    assert inner.calls == 3
    clock.now += 11
    inner.fail = False
    assert (await guarded.begin("k", "fp", 10)).state == "acquired"
    assert not guarded.breaker.open
    assert (await guarded.begin("k", "fp", 10)).state == "busy"
