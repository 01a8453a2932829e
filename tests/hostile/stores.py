"""Stores for the hostile tests: a fresh database on the shared PostgreSQL, and private Redis and
PostgreSQL servers that a test may stop and start at will (the shared ones on 16379/15432 are never
touched). Private servers are started by scripts/services.sh itself, pointed at a port and directory
of their own (CONVSVC_SERVICES_DIR, CONVSVC_REDIS_PORT, CONVSVC_PG_PORT), so they run exactly as the
test services do: loopback only, Redis with appendfsync always, PostgreSQL with fsync on."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import ROOT
from tests.serving import free_port

SERVICES = ROOT / "scripts" / "services.sh"


def postgres_admin_dsn() -> str:
    """$CONVSVC_TEST_POSTGRES_DSN; without it a test fails under CI=true and is skipped elsewhere."""
    dsn = os.environ.get("CONVSVC_TEST_POSTGRES_DSN")
    if not dsn:
        if os.environ.get("CI") == "true":
            pytest.fail("CONVSVC_TEST_POSTGRES_DSN is not set (scripts/services.sh start postgres; "
                        "eval \"$(scripts/services.sh env)\")")
        pytest.skip("CONVSVC_TEST_POSTGRES_DSN is not set")
    return dsn


@contextlib.contextmanager
def fresh_database(admin_dsn: str):
    """The DSN of a new, empty database (dropped afterwards): other tests share the server."""
    import psycopg

    name = f"convsvc_hostile_{secrets.token_hex(6)}"
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(admin_dsn)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PrivateService:
    """One private redis-server or PostgreSQL on a free loopback port, started and stopped by
    scripts/services.sh with its own state directory."""

    def __init__(self, kind: str) -> None:
        if kind == "redis" and not shutil.which("redis-server") or kind == "postgres" and not _has_postgres():
            pytest.skip(f"{kind} is not installed (scripts/services.sh start {kind} installs it)") \
                if os.environ.get("CI") != "true" else pytest.fail(f"{kind} is not installed")
        self.kind = kind
        self.port = free_port()
        # world-traversable: PostgreSQL runs as the postgres user (pytest's tmp dirs are root-only)
        self.dir = tempfile.mkdtemp(prefix=f"convsvc-hostile-{kind}-")
        os.chmod(self.dir, 0o755)
        self.env = {**os.environ, "CONVSVC_SERVICES_DIR": self.dir,
                    "CONVSVC_REDIS_PORT" if kind == "redis" else "CONVSVC_PG_PORT": str(self.port)}

    @property
    def url(self) -> str:
        if self.kind == "redis":
            return f"redis://127.0.0.1:{self.port}/0"
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, action: str) -> None:
        done = subprocess.run([str(SERVICES), action, self.kind], env=self.env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, f"services.sh {action} {self.kind}: {done.stderr}"

    def start(self) -> "PrivateService":
        self._run("start")
        return self

    def stop(self) -> None:
        self._run("stop")

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _has_postgres() -> bool:
    import glob

    return bool(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))


@pytest.fixture
def private_redis():
    service = PrivateService("redis").start()
    yield service
    service.remove()


@pytest.fixture
def private_postgres():
    service = PrivateService("postgres").start()
    yield service
    service.remove()
