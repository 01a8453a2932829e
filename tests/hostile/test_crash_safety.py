"""SIGKILL during a stream of registrations and idempotent calls: after a restart every acknowledged
write is there, and nothing half-written is visible. Registry on SQLite and on PostgreSQL; idempotency
outcomes on SQLite and on Redis (the two stores that survive a restart)."""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid

import grpc

from convsvc.v1 import conversion_pb2 as cpb
from convsvc.v1 import conversion_pb2_grpc
from convsvc.v1 import registry_pb2 as rpb
from convsvc.v1 import registry_pb2_grpc
from tests.conftest import ServerProcess
from tests.hostile.stores import fresh_database, postgres_admin_dsn
from tests.serving import redis_url, write_config

THREADS = 4
JSON = cpb.FormatSpec(format=cpb.FORMAT_JSON)
YAML = cpb.FormatSpec(format=cpb.FORMAT_YAML)


def chain_schema(version: int) -> str:
    """Version n of a subject: each adds a field with a default, so each is BACKWARD compatible."""
    fields = [{"name": "a", "type": "string"}] + [{"name": f"x{n}", "type": "long", "default": n}
                                                 for n in range(2, version + 1)]
    return json.dumps({"type": "record", "name": "R", "fields": fields})


def single_schema(tag: str) -> str:
    return json.dumps({"type": "record", "name": f"S_{tag}", "fields": [{"name": "v", "type": "string"}]})


class Workload:
    """THREADS clients, each in a loop: a new subject, the next version of its own chain subject, and an
    idempotent Convert; every acknowledged write is recorded as the client saw it."""

    def __init__(self, address: str, run: str) -> None:
        self.address, self.run = address, run
        self.registered: list[tuple[str, int, int, str]] = []  # (subject, version, id, text) acknowledged
        self.converted: dict[str, tuple[bytes, bytes]] = {}  # idempotency key -> (request payload, response)
        self.attempted: dict[str, bytes] = {}  # every idempotency key sent -> its request payload
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(number,)) for number in range(THREADS)]

    def client(self, number: int) -> None:
        with grpc.insecure_channel(self.address) as channel:
            registry = registry_pb2_grpc.SchemaRegistryServiceStub(channel)
            conversion = conversion_pb2_grpc.ConversionServiceStub(channel)
            version = 1
            for step in range(10**6):
                if self.stop.is_set():
                    return
                writes = [(f"{self.run}-t{number}-s{step}", single_schema(f"{number}_{step}")),
                          (f"{self.run}-chain-{number}", chain_schema(version))]
                try:
                    for subject, text in writes:
                        answer = registry.RegisterSchema(rpb.RegisterSchemaRequest(
                            subject=subject, schema=rpb.Schema(text=text)), timeout=5)
                        self.registered.append((subject, answer.schema.version, answer.schema.id, text))
                    version += 1
                    key = f"{self.run}-{number}-{step}"
                    payload = json.dumps({"client": number, "step": step, "run": self.run}).encode()
                    self.attempted[key] = payload
                    response = conversion.Convert(cpb.ConvertRequest(source=JSON, target=YAML, payload=payload),
                                                  metadata=[("idempotency-key", key)], timeout=3)
                    self.converted[key] = (payload, response.payload)
                except grpc.RpcError as error:
                    if error.code() != grpc.StatusCode.UNAVAILABLE:  # the kill: the connection drops
                        self.failures.append(f"{error.code()}: {error.details()}")
                    return

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def crash_and_restart(tmp_path, *extra: str) -> tuple[Workload, ServerProcess]:
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
    first = ServerProcess(tmp_path / "first", *extra)
    workload = Workload(first.address, uuid.uuid4().hex[:8])
    try:
        workload.start()
        deadline = time.monotonic() + 20
        while len(workload.converted) < 100 and time.monotonic() < deadline:  # well into the stream
            time.sleep(0.02)
        first.process.send_signal(signal.SIGKILL)  # mid-call: the threads have calls in flight
        assert first.process.wait(10) == -signal.SIGKILL
    finally:
        workload.join()
        first.stop()
    assert not workload.failures, workload.failures
    assert len(workload.converted) >= 100 and len(workload.registered) >= 200
    second = ServerProcess(tmp_path / "second", *extra, "--data-dir", str(tmp_path / "first" / "data"))
    return workload, second


def check_everything_acknowledged_is_there(workload: Workload, server: ServerProcess) -> None:
    with grpc.insecure_channel(server.address) as channel:
        registry = registry_pb2_grpc.SchemaRegistryServiceStub(channel)
        conversion = conversion_pb2_grpc.ConversionServiceStub(channel)
        for subject, version, schema_id, text in workload.registered:
            found = registry.GetSchemaVersion(rpb.GetSchemaVersionRequest(subject=subject, version=version), timeout=5)
            assert (found.schema.id, json.loads(found.schema.schema.text)) == (schema_id, json.loads(text))
            by_id = registry.GetSchema(rpb.GetSchemaRequest(id=schema_id), timeout=5)
            assert json.loads(by_id.schema.text) == json.loads(text)
        # nothing half-written: every subject's versions run 1..n and each resolves, with its id
        subjects = [s for s in registry.ListSubjects(rpb.ListSubjectsRequest(), timeout=5).subjects
                    if s.startswith(workload.run)]
        acknowledged = {subject for subject, *_ in workload.registered}
        assert acknowledged <= set(subjects)
        assert len(set(subjects) - acknowledged) <= THREADS  # at most the calls in flight at the kill
        for subject in subjects:
            versions = list(registry.ListVersions(rpb.ListVersionsRequest(subject=subject), timeout=5).versions)
            assert versions == list(range(1, len(versions) + 1)), (subject, versions)
            for version in versions:
                got = registry.GetSchemaVersion(rpb.GetSchemaVersionRequest(subject=subject, version=version),
                                                timeout=5)
                assert registry.GetSchema(rpb.GetSchemaRequest(id=got.schema.id), timeout=5).schema.text
        # every acknowledged idempotent call replays its stored outcome, byte for byte
        for key, (payload, response) in workload.converted.items():
            answer, call = conversion.Convert.with_call(
                cpb.ConvertRequest(source=JSON, target=YAML, payload=payload),
                metadata=[("idempotency-key", key)], timeout=10)
            assert answer.payload == response
            assert dict(call.trailing_metadata()).get("idempotent-replayed") == "true", key
        # a call in flight at the kill left at most a lease behind, never a partial outcome: its repeat
        # runs once the lease lapses (its deadline + 5 s) or replays a complete answer
        in_flight = {key: payload for key, payload in workload.attempted.items() if key not in workload.converted}
        print("crash:", len(workload.registered), "registrations,", len(workload.converted), "idempotent calls acknowledged,", len(in_flight), "in flight,", len(set(subjects) - acknowledged), "unacknowledged subjects present")
        for key, payload in in_flight.items():
            request = cpb.ConvertRequest(source=JSON, target=YAML, payload=payload)
            answer = conversion.Convert(request, metadata=[("idempotency-key", key)], timeout=30)
            assert answer.payload == conversion.Convert(request, timeout=10).payload
        # and the restarted server takes new writes where the old one stopped
        chain = f"{workload.run}-chain-0"
        latest = max(version for subject, version, *_ in workload.registered if subject == chain)
        written = registry.GetSchemaVersion(rpb.GetSchemaVersionRequest(subject=chain, version=0), timeout=5)
        nxt = written.schema.version + 1
        assert nxt - 1 in (latest, latest + 1)
        answer = registry.RegisterSchema(rpb.RegisterSchemaRequest(subject=chain, schema=rpb.Schema(
            text=chain_schema(nxt))), timeout=5)
        assert answer.schema.version == nxt


def test_sigkill_loses_no_acknowledged_write_with_sqlite_registry_and_sqlite_idempotency(tmp_path):
    workload, server = crash_and_restart(tmp_path)  # the defaults: both stores are SQLite files in the data dir
    try:
        check_everything_acknowledged_is_there(workload, server)
    finally:
        server.stop()


def test_sigkill_loses_no_acknowledged_write_with_postgres_registry_and_redis_idempotency(tmp_path):
    with fresh_database(postgres_admin_dsn()) as dsn:
        config = write_config(tmp_path, f'[registry]\nstore = "postgres"\npostgres_dsn = "{dsn}"\n'
                                        f'[idempotency]\nstore = "redis"\nredis_url = "{redis_url()}"\n'
                                        f'redis_prefix = "convsvc-hostile:{uuid.uuid4().hex}:"\n')
        workload, server = crash_and_restart(tmp_path, "--config", str(config))
        try:
            check_everything_acknowledged_is_there(workload, server)
        finally:
            server.stop()
