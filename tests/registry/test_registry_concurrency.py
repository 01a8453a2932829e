"""Several processes registering at once into one store never give one schema two ids nor one version
two schemas (PostgreSQL: the multi-machine deployment; SQLite: several processes on one file)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from convsvc.registry import open_registry
from tests.conftest import ROOT

PROCESSES = 4
SCHEMAS = 12

WORKER = textwrap.dedent("""
    import json, random, sys, time
    from convsvc.registry import SchemaInput, open_registry
    store, start, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    registry = open_registry(store)
    order = list(range({schemas}))
    random.Random(seed).shuffle(order)
    time.sleep(max(0.0, start - time.time()))  # every process starts together
    seen = {{}}
    for n in order:
        text = json.dumps({{"type": "record", "name": f"R{{n}}", "fields": [{{"name": "f", "type": "long"}}]}})
        shared = registry.register("shared", SchemaInput(text))      # races for versions of one subject
        own = registry.register(f"own-{{n % 3}}", SchemaInput(text))  # races for ids of one schema
        seen[n] = [shared.id, shared.version, own.id]
    print(json.dumps(seen))
""").format(schemas=SCHEMAS)


def race(store: str) -> list[dict]:
    setup = open_registry(store)
    setup.set_level("NONE")  # every schema is welcome: the race is about ids and versions only
    setup.close()
    start = time.time() + 2.0
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, store, str(start), str(seed)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for seed in range(PROCESSES)]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append({int(k): v for k, v in json.loads(out).items()})
    return results


def check_one_id_per_schema_and_one_schema_per_version(store: str, results: list[dict]) -> None:
    for n in range(SCHEMAS):
        answers = {tuple(result[n]) for result in results}
        assert len(answers) == 1, f"schema {n}: processes saw {answers}"
        shared_id, _, own_id = answers.pop()
        assert shared_id == own_id  # the same schema in two subjects has one id
    registry = open_registry(store)
    try:
        versions = registry.versions("shared")
        assert versions == list(range(1, SCHEMAS + 1))
        ids = [registry.schema_by_subject("shared", v).id for v in versions]
        assert len(set(ids)) == SCHEMAS  # no schema twice in the subject, no version holds two
        assert sorted(ids) == sorted(result[n][0] for result in results[:1] for n in range(SCHEMAS))
        assert max(ids) == SCHEMAS  # no id was burnt on a lost race
    finally:
        registry.close()


@pytest.mark.slow
def test_parallel_processes_against_one_postgres_agree_on_ids_and_versions(postgres_dsn):
    from tests.registry.conftest import drop_registry_tables

    drop_registry_tables(postgres_dsn)
    try:
        check_one_id_per_schema_and_one_schema_per_version(postgres_dsn, race(postgres_dsn))
    finally:
        drop_registry_tables(postgres_dsn)


@pytest.mark.slow
def test_parallel_processes_on_one_sqlite_file_agree_on_ids_and_versions(tmp_path):
    store = str(tmp_path / "registry.db")
    check_one_id_per_schema_and_one_schema_per_version(store, race(store))
