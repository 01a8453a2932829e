"""Three `convsvc serve` replicas sharing one PostgreSQL registry and one Redis idempotency store, driven
by a round-robin client, as behind a gRPC load balancer: one id per schema under concurrent
registration, replays from a replica that did not run the call, and a replica SIGKILLed mid-run
without losing an acknowledged write."""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import random
import threading
import time

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from convsvc.registry import open_registry
from convsvc.v1 import conversion_pb2, conversion_pb2_grpc, registry_pb2, registry_pb2_grpc
from tests.conftest import ServerProcess

REPLICAS = 3
REPLAYED = ("idempotent-replayed", "true")


class Replica:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.channel = grpc.insecure_channel(server.address)
        grpc.channel_ready_future(self.channel).result(timeout=15)
        self.registry = registry_pb2_grpc.SchemaRegistryServiceStub(self.channel)
        self.conversion = conversion_pb2_grpc.ConversionServiceStub(self.channel)

    def close(self) -> None:
        self.channel.close()
        self.server.stop()


@pytest.fixture
def replicas(tmp_path, postgres_dsn, redis_url, redis_prefix):
    config = tmp_path / "convsvc.toml"
    config.write_text(f'[registry]\nstore = "postgres"\npostgres_dsn = "{postgres_dsn}"\n\n'
                      f'[idempotency]\nstore = "redis"\nredis_url = "{redis_url}"\nredis_prefix = "{redis_prefix}"\n')
    started: list[Replica] = []
    try:
        for number in range(REPLICAS):
            (tmp_path / f"replica-{number}").mkdir()
            started.append(Replica(ServerProcess(tmp_path / f"replica-{number}", "--config", str(config))))
        started[0].registry.SetCompatibility(registry_pb2.SetCompatibilityRequest(
            level=registry_pb2.COMPATIBILITY_LEVEL_NONE), timeout=10)  # the races are about ids and versions
        yield started
    finally:
        for replica in started:
            replica.close()


def avro_record(name: str) -> str:
    return json.dumps({"type": "record", "name": name, "fields": [{"name": "f", "type": "long"}]})


def register_request(subject: str, text: str) -> registry_pb2.RegisterSchemaRequest:
    return registry_pb2.RegisterSchemaRequest(
        subject=subject, schema=registry_pb2.Schema(type=conversion_pb2.SCHEMA_TYPE_AVRO, text=text))


def replayed(call) -> bool:
    return REPLAYED in tuple(call.trailing_metadata() or ())


def test_replicas_give_one_id_per_schema_under_concurrent_registration(replicas):
    schemas = 12
    work = [(n, subject, replica) for n in range(schemas) for subject in ("shared", f"own-{n % 3}")
            for replica in range(REPLICAS)]
    random.Random(13).shuffle(work)

    def register(item):
        n, subject, replica = item
        answer = replicas[replica].registry.RegisterSchema(register_request(subject, avro_record(f"R{n}")),
                                                           timeout=30).schema
        return n, subject, answer.id, answer.version

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(register, work))

    ids = {}
    for n in range(schemas):
        seen = {(subject, schema_id, version) for m, subject, schema_id, version in answers if m == n}
        assert len({schema_id for _, schema_id, _ in seen}) == 1, f"schema {n}: {seen}"  # one id, any replica
        assert len(seen) == 2, f"schema {n}: {seen}"  # one version per subject, whichever replica answered
        ids[n] = seen.pop()[1]
    assert sorted(ids.values()) == list(range(1, schemas + 1))  # no id burnt by a lost race

    shared = replicas[1].registry.ListVersions(registry_pb2.ListVersionsRequest(subject="shared"), timeout=10)
    assert list(shared.versions) == list(range(1, schemas + 1))

    # an id registered through one replica converts through every other: the registry is one
    for n, schema_id in ids.items():
        writer, reader = replicas[n % REPLICAS], replicas[(n + 1) % REPLICAS]
        binary = writer.conversion.Convert(conversion_pb2.ConvertRequest(
            source=conversion_pb2.FormatSpec(format=conversion_pb2.FORMAT_JSON),
            target=conversion_pb2.FormatSpec(format=conversion_pb2.FORMAT_AVRO,
                                             schema=conversion_pb2.SchemaRef(id=schema_id)),
            payload=json.dumps({"f": n}).encode()), timeout=30).payload
        back = reader.conversion.Convert(conversion_pb2.ConvertRequest(
            source=conversion_pb2.FormatSpec(format=conversion_pb2.FORMAT_AVRO,
                                             schema=conversion_pb2.SchemaRef(id=schema_id)),
            target=conversion_pb2.FormatSpec(format=conversion_pb2.FORMAT_JSON), payload=binary), timeout=30).payload
        assert json.loads(back) == {"f": n}


def test_a_call_is_replayed_by_the_replicas_that_did_not_run_it(replicas):
    request = conversion_pb2.ConvertRequest(
        source=conversion_pb2.FormatSpec(format=conversion_pb2.FORMAT_JSON),
        target=conversion_pb2.FormatSpec(format=conversion_pb2.FORMAT_YAML), payload=b'{"order": 7}')
    key = [("idempotency-key", "convert-7f3a9c21-order")]
    first, call = replicas[0].conversion.Convert.with_call(request, metadata=key, timeout=10)
    assert not replayed(call)
    for replica in replicas[1:]:
        again, call = replica.conversion.Convert.with_call(request, metadata=key, timeout=10)
        assert (again, replayed(call)) == (first, True)

    other = conversion_pb2.ConvertRequest(source=request.source, target=request.target, payload=b'{"order": 8}')
    with pytest.raises(grpc.RpcError) as refused:
        replicas[2].conversion.Convert(other, metadata=key, timeout=10)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = error_details_pb2.ErrorInfo()
    [detail] = [d for d in rpc_status.from_call(refused.value).details if d.Is(info.DESCRIPTOR)]
    detail.Unpack(info)
    assert info.reason == "IDEMPOTENCY_KEY_REUSED"


def test_concurrent_duplicates_on_three_replicas_run_once(replicas):
    request = register_request("payments-value", avro_record("Payment"))
    key = [("idempotency-key", "register-payment-5b0e")]
    barrier = threading.Barrier(REPLICAS)

    def call(replica):
        barrier.wait()
        response, call = replica.registry.RegisterSchema.with_call(request, metadata=key, timeout=30)
        return response, replayed(call)

    with concurrent.futures.ThreadPoolExecutor(REPLICAS) as pool:
        outcomes = list(pool.map(call, replicas))
    assert len({response.SerializeToString() for response, _ in outcomes}) == 1
    assert sorted(flag for _, flag in outcomes) == [False, True, True]  # one ran; the others were replayed


def test_a_replica_killed_mid_run_loses_no_acknowledged_write(replicas, postgres_dsn):
    writes, threads, kill_after = 48, 4, 12
    order = itertools.count()
    acknowledged: dict[int, tuple[int, int, int]] = {}  # write -> (replica that answered, id, version)
    retries = []
    lock = threading.Lock()
    killed = threading.Event()

    def write(n: int) -> None:
        request = register_request(f"orders-{n % 4}", avro_record(f"Order{n}"))
        key = [("idempotency-key", f"write-{n:04d}-{postgres_dsn[-12:]}")]
        deadline = time.monotonic() + 60
        while True:
            replica = next(order) % REPLICAS  # round robin, as a client-side balancer
            try:
                schema = replicas[replica].registry.RegisterSchema(request, metadata=key, timeout=3).schema
            except grpc.RpcError as error:  # the replica died, or a dead replica's lease is still held
                assert error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                                        grpc.StatusCode.CANCELLED), error
                assert time.monotonic() < deadline, f"write {n} never acknowledged: {error}"
                with lock:
                    retries.append((n, replica, error.code().name))
                continue
            with lock:
                acknowledged[n] = (replica, schema.id, schema.version)
                if len(acknowledged) == kill_after and not killed.is_set():
                    replicas[1].server.process.kill()  # SIGKILL: no drain, connections reset
                    killed.set()
            return

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(write, range(writes)))

    assert killed.is_set() and replicas[1].server.process.wait(10) == -9
    assert sorted(acknowledged) == list(range(writes))  # the survivors took over every write
    assert any(replica == 1 for _, replica, _ in retries)  # calls that met the dead replica went elsewhere
    by_dead_replica = [n for n, (replica, _, _) in acknowledged.items() if replica == 1]
    assert by_dead_replica, "the killed replica acknowledged nothing before it died"

    # every acknowledged write is in the shared registry, under the id and version the client was given
    registry = open_registry(postgres_dsn)
    try:
        for n, (_, schema_id, version) in acknowledged.items():
            found = registry.schema_by_subject(f"orders-{n % 4}", version)
            assert (found.schema.id, json.loads(found.schema.text)["name"]) == (schema_id, f"Order{n}")
        for subject in range(4):  # and nothing twice: retries landed on the version already written
            assert len(registry.versions(f"orders-{subject}")) == writes // 4
    finally:
        registry.close()

    # the dead replica's outcomes outlive it in Redis: a survivor replays them
    for n in by_dead_replica:
        request = register_request(f"orders-{n % 4}", avro_record(f"Order{n}"))
        key = [("idempotency-key", f"write-{n:04d}-{postgres_dsn[-12:]}")]
        response, call = replicas[2].registry.RegisterSchema.with_call(request, metadata=key, timeout=10)
        assert replayed(call)
        assert (response.schema.id, response.schema.version) == acknowledged[n][1:]
