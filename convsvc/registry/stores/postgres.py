"""The PostgreSQL store (psycopg 3 with a psycopg_pool connection pool), for several server processes
or machines sharing one registry. Writers serialise on a transaction-scoped advisory lock, so two
processes can never give one schema two ids or one version two schemas (the unique keys back this up)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
import psycopg_pool

from convsvc.registry.errors import StoreError
from convsvc.registry.stores.sql import DDL, SqlTx

WRITE_LOCK_KEY = 0x636F6E7673766301  # "convsvc" + 1: the registry's advisory lock id


class PostgresStore:
    kind = "postgres"

    def __init__(self, dsn: str, *, min_size: int = 1, max_size: int = 10, timeout: float = 30.0) -> None:
        self.dsn = dsn
        self._pool = psycopg_pool.ConnectionPool(dsn, min_size=min_size, max_size=max_size, timeout=timeout,
                                                 open=False, name="convsvc-registry")
        try:
            self._pool.open(wait=True, timeout=timeout)
        except psycopg_pool.PoolTimeout as error:
            self._pool.close()
            raise StoreError(f"PostgreSQL at {_safe(dsn)} is not reachable: {error}") from error
        with self.write() as tx:  # the DDL runs under the write lock: concurrent first starts do not race
            for statement in DDL:
                tx._run(statement)

    @contextlib.contextmanager
    def _transaction(self, write: bool) -> Iterator[SqlTx]:
        try:
            with self._pool.connection() as connection, connection.transaction():
                cursor = connection.cursor()
                if write:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
                yield SqlTx(cursor, "%s")
        except psycopg.Error as error:
            raise StoreError(f"PostgreSQL: {error}") from error

    def read(self):
        return self._transaction(write=False)

    def write(self):
        return self._transaction(write=True)

    def close(self) -> None:
        self._pool.close()


def _safe(dsn: str) -> str:
    """The DSN without a password, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return dsn
