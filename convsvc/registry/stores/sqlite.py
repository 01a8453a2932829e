"""The embedded SQLite store: one file (default `<data_dir>/registry.db`), WAL journal, one connection
per thread, and `BEGIN IMMEDIATE` per write so writers queue on SQLite's own lock — across processes too."""

from __future__ import annotations

import contextlib
import pathlib
import sqlite3
import threading
from collections.abc import Iterator

from convsvc.registry.errors import StoreError
from convsvc.registry.stores.sql import DDL, SqlTx

BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for another process's write to finish


class SqliteStore:
    kind = "sqlite"

    def __init__(self, path: str | pathlib.Path) -> None:
        self.path = pathlib.Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self.write() as tx:
            for statement in DDL:
                tx._run(statement)

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            # autocommit mode: transactions are begun explicitly below, so reads never hold a write lock
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                         check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextlib.contextmanager
    def _transaction(self, begin: str) -> Iterator[SqlTx]:
        connection = self._connection()
        cursor = connection.cursor()
        try:
            cursor.execute(begin)
        except sqlite3.Error as error:
            raise StoreError(f"SQLite: {error}") from error
        try:
            yield SqlTx(cursor, "?")
        except BaseException:
            connection.rollback() if connection.in_transaction else None
            raise
        else:
            try:
                connection.commit() if connection.in_transaction else None
            except sqlite3.Error as error:
                raise StoreError(f"SQLite: {error}") from error
        finally:
            cursor.close()

    def read(self):
        return self._transaction("BEGIN")  # deferred: a consistent snapshot in WAL mode, no lock taken

    def write(self):
        return self._transaction("BEGIN IMMEDIATE")

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
