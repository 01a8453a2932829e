"""Registry fixtures: a registry over each store (SQLite file, fresh PostgreSQL database), in-process
gRPC + REST servers, and a test-only server process for the CLI.

PostgreSQL: $CONVSVC_TEST_POSTGRES_DSN (scripts/services.sh env) names an admin connection; each test
run creates its own database with a random name and drops it at the end, because other engineers run
tests against the same server at the same time. Without the DSN these tests fail under CI=true and are
skipped otherwise.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from convsvc.registry import open_registry
from tests.conftest import ROOT

REGISTRY_TABLES = ("registry_schemas", "registry_schema_refs", "registry_versions", "registry_config",
                   "registry_mode", "registry_counters")


def _with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def postgres_dsn():
    """The DSN of a database made for this test run (dropped afterwards)."""
    admin = os.environ.get("CONVSVC_TEST_POSTGRES_DSN")
    if not admin:
        if os.environ.get("CI") == "true":
            pytest.fail("CONVSVC_TEST_POSTGRES_DSN is not set: run `scripts/services.sh start postgres` and "
                        "`eval \"$(scripts/services.sh env)\"` (make test does both)")
        pytest.skip("CONVSVC_TEST_POSTGRES_DSN is not set (scripts/services.sh env)")
    import psycopg

    name = f"convsvc_test_{secrets.token_hex(6)}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_registry_tables(dsn: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        for table in REGISTRY_TABLES:
            connection.execute(f"DROP TABLE IF EXISTS {table}")


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path):
    """One fresh, empty store of each kind: the contract suite runs against both."""
    if request.param == "sqlite":
        yield str(tmp_path / "registry.db")
        return
    dsn = request.getfixturevalue("postgres_dsn")
    drop_registry_tables(dsn)
    yield dsn
    drop_registry_tables(dsn)


@pytest.fixture
def registry(store_url):
    registry = open_registry(store_url)
    yield registry
    registry.close()


@pytest.fixture
def sqlite_registry(tmp_path):
    registry = open_registry(str(tmp_path / "registry.db"))
    yield registry
    registry.close()


@pytest.fixture
async def servers(sqlite_registry):
    """In-process grpc.aio server with SchemaRegistryService and the REST API, on free ports."""
    import grpc

    from convsvc.server.registry_service import add_registry_service
    from convsvc.server.rest import start_rest

    server = grpc.aio.server()
    add_registry_service(server, sqlite_registry)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    rest = await start_rest(sqlite_registry, "127.0.0.1", 0)
    yield {"grpc": f"127.0.0.1:{port}", "rest": f"http://127.0.0.1:{rest.port}", "registry": sqlite_registry}
    await rest.stop()
    await server.stop(None)


class RegistryServerProcess:
    """tests/registry/serve_registry.py in a child process (gRPC + REST on free ports)."""

    def __init__(self, store: str, log_path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "registry" / "serve_registry.py"),
                                         store], stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            match = re.search(r"listening on (\S+:\d+) rest (\d+)", log_path.read_text(errors="replace"))
            if match:
                self.address, self.rest_port = match.group(1), int(match.group(2))
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"registry server did not start:\n{log_path.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@pytest.fixture
def registry_server(tmp_path):
    server = RegistryServerProcess(str(tmp_path / "registry.db"), tmp_path / "server.log")
    yield server
    server.stop()
