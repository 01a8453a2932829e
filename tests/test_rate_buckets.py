"""Rate-limit buckets: in this process, and in Redis shared by every process (a real Redis on loopback)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from convsvc.server.rate_buckets import MemoryBuckets, RedisBuckets
from tests.serving import free_port, redis_url


async def takes(buckets, subject: str, count: int, per_second: float = 1.0, burst: int = 3) -> list[float]:
    return [await buckets.take(subject, per_second, burst) for _ in range(count)]


async def test_memory_buckets_allow_the_burst_then_say_how_long_to_wait():
    now = [100.0]
    buckets = MemoryBuckets(clock=lambda: now[0])
    waits = await takes(buckets, "api-key:a", 4, per_second=2.0, burst=3)
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] == pytest.approx(0.5)
    now[0] += 0.5
    assert await buckets.take("api-key:a", 2.0, 3) == 0.0
    assert await buckets.take("api-key:b", 2.0, 3) == 0.0  # another subject, another bucket


async def test_redis_buckets_are_shared_by_every_process():
    subject = f"api-key:{uuid.uuid4().hex}"
    prefix = f"convsvc:test:{uuid.uuid4().hex}:"
    first, second = RedisBuckets(redis_url(), prefix=prefix), RedisBuckets(redis_url(), prefix=prefix)
    try:  # two "processes" (two clients, two connection pools) drawing on one bucket of 3
        waits = await asyncio.gather(*(client.take(subject, 0.5, 3) for client in (first, second, first, second)))
        assert sorted(waits)[:3] == [0.0, 0.0, 0.0]
        assert 1.5 < sorted(waits)[3] <= 2.0  # one token short at 0.5/s
        assert await second.take(f"{subject}-other", 0.5, 3) == 0.0
    finally:
        await first.close()
        await second.close()


async def test_an_unreachable_redis_falls_back_to_this_process_and_comes_back():
    now = [0.0]
    down = RedisBuckets(f"redis://127.0.0.1:{free_port()}/0", prefix="x:", clock=lambda: now[0], reset_seconds=5)
    try:
        waits = await takes(down, "peer:1.2.3.4", 3, per_second=1.0, burst=2)
        assert waits[:2] == [0.0, 0.0] and waits[2] > 0  # still limited, by this process
        assert down._down_since is not None  # the breaker is open: no further connection attempts ...
        started = asyncio.get_running_loop().time()
        await down.take("peer:1.2.3.4", 1.0, 2)
        assert asyncio.get_running_loop().time() - started < 0.05  # ... so no added latency
    finally:
        await down.close()


def test_two_workers_share_one_bucket_per_caller_in_redis(tmp_path):
    """With store = "redis", a caller's limit holds across worker processes: fresh connections (which
    SO_REUSEPORT spreads over both workers) still get only the burst, then RESOURCE_EXHAUSTED."""
    import grpc

    from convsvc.v1 import conversion_pb2 as pb
    from convsvc.v1 import conversion_pb2_grpc
    from tests.conftest import ServerProcess
    from tests.serving import write_config

    config = write_config(tmp_path, f"""[rate_limit]
anonymous_requests_per_second = 0.01
anonymous_burst = 3
store = "redis"
redis_url = "{redis_url()}"
redis_prefix = "convsvc:test:{uuid.uuid4().hex}:"
[idempotency]
store = "sqlite"
""")
    server = ServerProcess(tmp_path, "--config", str(config), "--workers", "2")
    try:
        codes = []
        for _ in range(8):  # a new channel each time: a new connection, landing on either worker
            with grpc.insecure_channel(server.address, options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
                stub = conversion_pb2_grpc.ConversionServiceStub(channel)
                try:
                    stub.Convert(pb.ConvertRequest(source=pb.FormatSpec(format=pb.FORMAT_JSON),
                                                   target=pb.FormatSpec(format=pb.FORMAT_YAML), payload=b"[1]"),
                                 timeout=10)
                    codes.append("OK")
                except grpc.RpcError as error:
                    codes.append(error.code().name)
        assert codes == ["OK"] * 3 + ["RESOURCE_EXHAUSTED"] * 5
    finally:
        server.stop()
