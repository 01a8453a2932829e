"""Backup and restore of the schema registry, restored into a fresh store with ids intact:
`convsvc schema backup` (SQLite's online backup, taken while a server keeps writing) and
`convsvc schema export` / `import` (JSON Lines, here from SQLite into PostgreSQL)."""

from __future__ import annotations

import json
import shutil
import threading
import time

import grpc
import pytest

from convsvc.v1 import conversion_pb2, registry_pb2, registry_pb2_grpc
from tests.conftest import ServerProcess
from tests.deploy.conftest import VENV_BIN, run

ADDRESS = {"type": "record", "name": "Address", "namespace": "acme", "fields": [{"name": "city", "type": "string"}]}
CUSTOMER = {"type": "record", "name": "Customer", "namespace": "acme",
            "fields": [{"name": "name", "type": "string"}, {"name": "address", "type": "acme.Address"}]}


def record(name: str, *fields: str) -> dict:
    return {"type": "record", "name": name, "fields": [{"name": field, "type": ["null", "long"], "default": None}
                                                       for field in fields]}


class Registry:
    """SchemaRegistryService of a server process."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.channel = grpc.insecure_channel(server.address)
        self.stub = registry_pb2_grpc.SchemaRegistryServiceStub(self.channel)

    def register(self, subject: str, schema: dict, *references: tuple[str, str, int]) -> tuple[int, int]:
        answer = self.stub.RegisterSchema(registry_pb2.RegisterSchemaRequest(subject=subject, schema=registry_pb2.Schema(
            type=conversion_pb2.SCHEMA_TYPE_AVRO, text=json.dumps(schema),
            references=[registry_pb2.SchemaReference(name=n, subject=s, version=v) for n, s, v in references])),
            timeout=30).schema
        return answer.id, answer.version

    def get(self, subject: str, version: int, deleted: bool = False) -> registry_pb2.RegisteredSchema:
        return self.stub.GetSchemaVersion(registry_pb2.GetSchemaVersionRequest(
            subject=subject, version=version, include_deleted=deleted), timeout=10).schema

    def close(self) -> None:
        self.channel.close()
        self.server.stop()


def populate(registry: Registry) -> dict[str, int]:
    """Subjects with several versions, a reference, a soft delete, an id gap, levels and a mode."""
    ids = {"address": registry.register("address", ADDRESS)[0]}
    ids["customer"] = registry.register("customer", CUSTOMER, ("acme.Address", "address", 1))[0]
    ids["order-1"] = registry.register("order", record("Order", "a"))[0]
    ids["gone"] = registry.register("scratch", record("Scratch", "x"))[0]
    ids["order-2"] = registry.register("order", record("Order", "a", "b"))[0]
    ids["order-3"] = registry.register("order", record("Order", "a", "b", "c"))[0]
    stub = registry.stub
    stub.DeleteSchemaVersion(registry_pb2.DeleteSchemaVersionRequest(subject="order", version=2), timeout=10)
    stub.DeleteSubject(registry_pb2.DeleteSubjectRequest(subject="scratch"), timeout=10)
    stub.DeleteSubject(registry_pb2.DeleteSubjectRequest(subject="scratch", permanent=True), timeout=10)  # id gap
    stub.SetCompatibility(registry_pb2.SetCompatibilityRequest(
        subject="order", level=registry_pb2.COMPATIBILITY_LEVEL_FULL), timeout=10)
    stub.SetMode(registry_pb2.SetModeRequest(subject="address", mode=registry_pb2.REGISTRY_MODE_READONLY), timeout=10)
    return ids


def check_restored(registry: Registry, ids: dict[str, int]) -> None:
    assert registry.get("address", 1).id == ids["address"]
    customer = registry.get("customer", 1)
    assert (customer.id, [(r.name, r.subject, r.version) for r in customer.schema.references]) == (
        ids["customer"], [("acme.Address", "address", 1)])
    assert [registry.get("order", v, deleted=True).id for v in (1, 2, 3)] == [ids[f"order-{v}"] for v in (1, 2, 3)]
    assert registry.get("order", 2, deleted=True).deleted
    versions = registry.stub.ListVersions(registry_pb2.ListVersionsRequest(subject="order"), timeout=10).versions
    assert list(versions) == [1, 3]  # the soft delete came along
    with pytest.raises(grpc.RpcError) as gone:
        registry.stub.GetSchema(registry_pb2.GetSchemaRequest(id=ids["gone"]), timeout=10)
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    level = registry.stub.GetCompatibility(registry_pb2.GetCompatibilityRequest(subject="order"), timeout=10).level
    assert level == registry_pb2.COMPATIBILITY_LEVEL_FULL
    mode = registry.stub.GetMode(registry_pb2.GetModeRequest(subject="address"), timeout=10).mode
    assert mode == registry_pb2.REGISTRY_MODE_READONLY
    # new schemas continue after the restored ids: none is handed out twice
    fresh_id, _ = registry.register("after-restore", record("Fresh", "z"))
    assert fresh_id > max(ids.values())


def convsvc(*args: str):
    return run(VENV_BIN / "convsvc", *args)


def test_sqlite_online_backup_taken_during_writes_restores_with_ids_intact(tmp_path):
    (tmp_path / "live").mkdir()
    live = Registry(ServerProcess(tmp_path / "live"))
    try:
        ids = populate(live)
        acknowledged: list[tuple[float, int, int, int]] = []  # (when, n, id, version)
        stop = threading.Event()

        def keep_writing():
            n = 0
            while not stop.is_set():
                schema_id, version = live.register(f"busy-{n}", record(f"Busy{n}", "v"))
                acknowledged.append((time.monotonic(), n, schema_id, version))
                n += 1

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            deadline = time.monotonic() + 30
            while len(acknowledged) < 20:
                assert writer.is_alive() and time.monotonic() < deadline, "the writer stopped"
                time.sleep(0.01)
            started = time.monotonic()
            result = convsvc("schema", "backup", "--data-dir", str(tmp_path / "live" / "data"),
                             "-o", str(tmp_path / "backup.db"), "--json")
            finished = time.monotonic()
            time.sleep(0.2)  # writes go on after the backup
        finally:
            stop.set()
            writer.join(30)
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["source"] == str(tmp_path / "live" / "data" / "registry.db")
        assert acknowledged[-1][0] > finished  # the server kept writing through the backup
    finally:
        live.close()

    # restore: the copy becomes the registry file of a fresh data directory
    (tmp_path / "restored" / "data").mkdir(parents=True)
    shutil.copy(tmp_path / "backup.db", tmp_path / "restored" / "data" / "registry.db")
    restored = Registry(ServerProcess(tmp_path / "restored"))
    try:
        busy = []
        for subject in restored.stub.ListSubjects(registry_pb2.ListSubjectsRequest(prefix="busy-"),
                                                  timeout=10).subjects:
            found = restored.get(subject, 1)
            busy.append((json.loads(found.schema.text)["name"], found.id, found.version))
        written = {f"Busy{n}": (schema_id, version) for _, n, schema_id, version in acknowledged}
        before_backup = {f"Busy{n}" for when, n, _, _ in acknowledged if when < started}
        assert before_backup <= {name for name, _, _ in busy}  # everything acknowledged before it started
        for name, schema_id, version in busy:
            assert written[name] == (schema_id, version)  # ids and versions as the clients were told
        # one snapshot: the backup holds a prefix of the writes, no hole
        assert sorted(int(name[4:]) for name, _, _ in busy) == list(range(len(busy)))
        # populate() left 5 schemas in 5 subject versions (scratch was deleted for good; order 2 is soft-deleted)
        assert (summary["schemas"], summary["subject_versions"]) == (len(busy) + 5, len(busy) + 5)
        check_restored(restored, ids)
    finally:
        restored.close()


def test_backup_refuses_to_overwrite_and_names_a_missing_registry(tmp_path):
    (tmp_path / "exists.db").write_text("precious")
    result = convsvc("schema", "backup", "--db", str(tmp_path / "exists.db"), "-o", str(tmp_path / "exists.db"))
    assert (result.returncode, result.stderr) == (2, f"convsvc: {tmp_path / 'exists.db'} exists; back up to a new file\n")
    assert (tmp_path / "exists.db").read_text() == "precious"
    result = convsvc("schema", "backup", "--data-dir", str(tmp_path / "nowhere"), "-o", str(tmp_path / "b.db"))
    assert (result.returncode, result.stderr) == (
        2, f"convsvc: {tmp_path / 'nowhere' / 'registry.db'}: no such registry file\n")
    assert not (tmp_path / "b.db").exists()


def test_json_lines_export_imports_into_a_fresh_postgres_store_with_ids_intact(tmp_path, postgres_dsn):
    (tmp_path / "sqlite").mkdir()
    source = Registry(ServerProcess(tmp_path / "sqlite"))
    try:
        ids = populate(source)
        exported = convsvc("schema", "export", "--target", source.server.address, "-o", str(tmp_path / "dump.jsonl"))
        assert exported.returncode == 0, exported.stderr
        assert exported.stderr == f"exported 5 subject versions to {tmp_path / 'dump.jsonl'}\n"
    finally:
        source.close()

    (tmp_path / "postgres").mkdir()
    target = Registry(ServerProcess(tmp_path / "postgres", "--registry-store", "postgres",
                                    "--registry-postgres-dsn", postgres_dsn))
    try:
        imported = convsvc("schema", "import", str(tmp_path / "dump.jsonl"), "--target", target.server.address,
                           "--json")
        assert imported.returncode == 0, imported.stderr
        assert json.loads(imported.stdout) == {"schemas": 5, "soft_deleted": 1, "settings": 2}
        again = convsvc("schema", "export", "--target", target.server.address)
        assert again.stdout == (tmp_path / "dump.jsonl").read_text()  # the same registry, line for line
        check_restored(target, ids)
    finally:
        target.close()


def test_backup_prints_what_it_copied_and_refuses_a_file_that_is_no_database(tmp_path):
    from convsvc.registry import SchemaInput, open_registry

    registry = open_registry(str(tmp_path / "registry.db"))
    try:
        registry.register("a", SchemaInput(json.dumps(record("A", "x"))))
        registry.register("b", SchemaInput(json.dumps(record("A", "x"))))  # the same schema: the same id
        registry.register("b", SchemaInput(json.dumps(record("A", "x", "y"))))
    finally:
        registry.close()
    result = convsvc("schema", "backup", "--db", str(tmp_path / "registry.db"), "-o", str(tmp_path / "copy.db"))
    assert (result.returncode, result.stdout) == (
        0, f"backed up 2 schemas (3 subject versions) from {tmp_path / 'registry.db'} to {tmp_path / 'copy.db'}\n")

    (tmp_path / "notes.txt").write_text("not a database, but long enough to have a header " * 4)
    result = convsvc("schema", "backup", "--db", str(tmp_path / "notes.txt"), "-o", str(tmp_path / "notes.db"))
    assert (result.returncode, result.stderr) == (1, f"convsvc: {tmp_path / 'notes.txt'}: file is not a database\n")
    assert not (tmp_path / "notes.db").exists() and not (tmp_path / "notes.db.partial").exists()
