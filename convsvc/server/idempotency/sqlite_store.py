"""The SQLite idempotency store: the embedded default, a file in the data directory.

Durable across crashes: an outcome is committed (WAL) before the answer leaves, so a server killed
right after answering replays it after a restart. Several processes may share the file; `begin`
runs in an IMMEDIATE transaction, so two of them never both acquire a key. Calls run on one thread
of the store's own, which owns the connection.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import pathlib
import sqlite3
import time
import uuid
from collections.abc import Callable
from typing import Any

from convsvc.server.idempotency.store import Begun

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    lease TEXT NOT NULL,
    expires_at REAL NOT NULL,  -- the lease's end while pending, then the TTL's
    outcome BLOB               -- NULL while pending
);
CREATE INDEX IF NOT EXISTS idempotency_expires_at ON idempotency (expires_at);
"""
_SWEEP_SECONDS = 60.0


class SQLiteStore:
    def __init__(self, path: pathlib.Path | str, clock: Callable[[], float] = time.time) -> None:
        # Wall-clock time: the file outlives the process (and the machine's boot, unlike monotonic time).
        self._path = pathlib.Path(path)
        self._clock = clock
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="convsvc-idempotency")
        self._db: sqlite3.Connection | None = None
        self._swept = 0.0

    async def begin(self, key: str, fingerprint: str, lease_seconds: float) -> Begun:
        return await self._run(self._begin, key, fingerprint, lease_seconds)

    async def complete(self, key: str, lease: str, outcome: bytes, ttl_seconds: float) -> bool:
        return await self._run(self._complete, key, lease, outcome, ttl_seconds)

    async def release(self, key: str, lease: str) -> None:
        await self._run(self._release, key, lease)

    async def close(self) -> None:
        await self._run(self._close)
        self._executor.shutdown(wait=True)

    async def _run(self, function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    # -- on the store's thread -----------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self._path, timeout=5.0, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a committed row survives a process crash
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def _transaction(self, work: Callable[[sqlite3.Connection, float], Any]) -> Any:
        db = self._connection()
        now = self._clock()
        db.execute("BEGIN IMMEDIATE")
        try:
            result = work(db, now)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return result

    def _begin(self, key: str, fingerprint: str, lease_seconds: float) -> Begun:
        def work(db: sqlite3.Connection, now: float) -> Begun:
            if now - self._swept >= _SWEEP_SECONDS:
                self._swept = now
                db.execute("DELETE FROM idempotency WHERE expires_at <= ?", (now,))
            row = db.execute("SELECT fingerprint, expires_at, outcome FROM idempotency WHERE key = ?",
                             (key,)).fetchone()
            if row is None or row[1] <= now:
                lease = uuid.uuid4().hex
                db.execute("INSERT OR REPLACE INTO idempotency (key, fingerprint, lease, expires_at, outcome) "
                           "VALUES (?, ?, ?, ?, NULL)", (key, fingerprint, lease, now + lease_seconds))
                return Begun("acquired", lease=lease)
            if row[0] != fingerprint:
                return Begun("conflict")
            if row[2] is not None:
                return Begun("done", outcome=bytes(row[2]))
            return Begun("busy")

        return self._transaction(work)

    def _complete(self, key: str, lease: str, outcome: bytes, ttl_seconds: float) -> bool:
        def work(db: sqlite3.Connection, now: float) -> bool:
            cursor = db.execute("UPDATE idempotency SET outcome = ?, expires_at = ? "
                                "WHERE key = ? AND lease = ? AND outcome IS NULL AND expires_at > ?",
                                (outcome, now + ttl_seconds, key, lease, now))
            return cursor.rowcount == 1

        return self._transaction(work)

    def _release(self, key: str, lease: str) -> None:
        self._transaction(lambda db, now: db.execute(
            "DELETE FROM idempotency WHERE key = ? AND lease = ? AND outcome IS NULL", (key, lease)))

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
