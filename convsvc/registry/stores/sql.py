"""The SQL both stores share (standard SQL that SQLite 3.35+ and PostgreSQL 12+ both run); each store
adds its connection handling, placeholder style and write lock."""

from __future__ import annotations

from convsvc.registry.model import Reference, SchemaType, StoredSchema
from convsvc.registry.stores import VersionRow

SCHEMA_VERSION = 1

DDL = (
    # One row per distinct schema (type + text + references): the fingerprint is unique, so one schema
    # can never get two ids; the row goes when no version uses it any more (ids are never reused).
    """CREATE TABLE IF NOT EXISTS registry_schemas (
        id BIGINT PRIMARY KEY,
        schema_type TEXT NOT NULL,
        schema_text TEXT NOT NULL,
        fingerprint TEXT NOT NULL UNIQUE,
        normalized_fingerprint TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS registry_schemas_normalized ON registry_schemas (normalized_fingerprint)",
    """CREATE TABLE IF NOT EXISTS registry_schema_refs (
        schema_id BIGINT NOT NULL,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        subject TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (schema_id, position))""",
    "CREATE INDEX IF NOT EXISTS registry_schema_refs_target ON registry_schema_refs (subject, version)",
    # (subject, version) is the primary key: one version can never hold two schemas.
    """CREATE TABLE IF NOT EXISTS registry_versions (
        subject TEXT NOT NULL,
        version INTEGER NOT NULL,
        schema_id BIGINT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (subject, version))""",
    "CREATE INDEX IF NOT EXISTS registry_versions_schema ON registry_versions (schema_id)",
    "CREATE TABLE IF NOT EXISTS registry_config (subject TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS registry_mode (subject TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS registry_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
    "INSERT INTO registry_counters (name, value) VALUES ('next_schema_id', 1) ON CONFLICT (name) DO NOTHING",
    f"INSERT INTO registry_counters (name, value) VALUES ('store_schema_version', {SCHEMA_VERSION}) "
    "ON CONFLICT (name) DO NOTHING",
)

_SETTING_TABLES = {"config": "registry_config", "mode": "registry_mode"}


class SqlTx:
    """The Tx protocol over a DB-API cursor; `mark` is the dialect's placeholder ("?" or "%s")."""

    def __init__(self, cursor, mark: str) -> None:
        self._cursor = cursor
        self._mark = mark

    def _run(self, sql: str, params: tuple = ()):
        if self._mark != "?":
            sql = sql.replace("?", self._mark)
        self._cursor.execute(sql, params)
        return self._cursor

    def _one(self, sql: str, params: tuple = ()):
        return self._run(sql, params).fetchone()

    def _all(self, sql: str, params: tuple = ()):
        return self._run(sql, params).fetchall()

    # -- schemas --------------------------------------------------------------------------------
    def schema(self, schema_id: int) -> StoredSchema | None:
        row = self._one("SELECT schema_type, schema_text FROM registry_schemas WHERE id = ?", (schema_id,))
        if row is None:
            return None
        refs = self._all("SELECT name, subject, version FROM registry_schema_refs WHERE schema_id = ? "
                         "ORDER BY position", (schema_id,))
        return StoredSchema(id=schema_id, type=SchemaType(row[0]), text=row[1],
                            references=tuple(Reference(n, s, v) for n, s, v in refs))

    def schema_id_by_fingerprint(self, fingerprint: str) -> int | None:
        row = self._one("SELECT id FROM registry_schemas WHERE fingerprint = ?", (fingerprint,))
        return None if row is None else int(row[0])

    def insert_schema(self, schema: StoredSchema, fingerprint: str, normalized_fingerprint: str) -> None:
        self._run("INSERT INTO registry_schemas (id, schema_type, schema_text, fingerprint, normalized_fingerprint) "
                  "VALUES (?, ?, ?, ?, ?)",
                  (schema.id, schema.type.value, schema.text, fingerprint, normalized_fingerprint))
        for position, ref in enumerate(schema.references):
            self._run("INSERT INTO registry_schema_refs (schema_id, position, name, subject, version) "
                      "VALUES (?, ?, ?, ?, ?)", (schema.id, position, ref.name, ref.subject, ref.version))

    def delete_schema(self, schema_id: int) -> None:
        self._run("DELETE FROM registry_schema_refs WHERE schema_id = ?", (schema_id,))
        self._run("DELETE FROM registry_schemas WHERE id = ?", (schema_id,))

    def allocate_id(self) -> int:
        value = int(self._one("SELECT value FROM registry_counters WHERE name = 'next_schema_id'")[0])
        self._run("UPDATE registry_counters SET value = ? WHERE name = 'next_schema_id'", (value + 1,))
        return value

    def reserve_ids_through(self, schema_id: int) -> None:
        self._run("UPDATE registry_counters SET value = ? WHERE name = 'next_schema_id' AND value <= ?",
                  (schema_id + 1, schema_id))

    def max_id(self) -> int:
        return int(self._one("SELECT value FROM registry_counters WHERE name = 'next_schema_id'")[0]) - 1

    # -- versions -------------------------------------------------------------------------------
    @staticmethod
    def _rows(rows) -> list[VersionRow]:
        return [VersionRow(subject, int(version), int(schema_id), bool(deleted))
                for subject, version, schema_id, deleted in rows]

    def versions(self, subject: str) -> list[VersionRow]:
        return self._rows(self._all("SELECT subject, version, schema_id, deleted FROM registry_versions "
                                    "WHERE subject = ? ORDER BY version", (subject,)))

    def version_rows_for_schema(self, schema_id: int) -> list[VersionRow]:
        return self._rows(self._all("SELECT subject, version, schema_id, deleted FROM registry_versions "
                                    "WHERE schema_id = ? ORDER BY subject, version", (schema_id,)))

    def matching_versions(self, subject: str, fingerprint: str, normalized: bool) -> list[VersionRow]:
        column = "normalized_fingerprint" if normalized else "fingerprint"
        return self._rows(self._all(
            "SELECT v.subject, v.version, v.schema_id, v.deleted FROM registry_versions v "
            f"JOIN registry_schemas s ON s.id = v.schema_id WHERE v.subject = ? AND s.{column} = ? "
            "ORDER BY v.version", (subject, fingerprint)))

    def insert_version(self, row: VersionRow) -> None:
        self._run("INSERT INTO registry_versions (subject, version, schema_id, deleted) VALUES (?, ?, ?, ?)",
                  (row.subject, row.version, row.schema_id, int(row.deleted)))

    def mark_deleted(self, subject: str, version: int) -> None:
        self._run("UPDATE registry_versions SET deleted = 1 WHERE subject = ? AND version = ?", (subject, version))

    def delete_version(self, subject: str, version: int) -> None:
        self._run("DELETE FROM registry_versions WHERE subject = ? AND version = ?", (subject, version))

    def subjects(self, include_deleted: bool) -> list[str]:
        where = "" if include_deleted else " WHERE deleted = 0"
        return [row[0] for row in self._all(f"SELECT DISTINCT subject FROM registry_versions{where} ORDER BY subject")]

    def referencing_schema_ids(self, subject: str, version: int) -> list[int]:
        return [int(row[0]) for row in self._all(
            "SELECT DISTINCT r.schema_id FROM registry_schema_refs r WHERE r.subject = ? AND r.version = ? "
            "AND EXISTS (SELECT 1 FROM registry_versions v WHERE v.schema_id = r.schema_id) ORDER BY r.schema_id",
            (subject, version))]

    def subject_count(self) -> int:
        return int(self._one("SELECT COUNT(DISTINCT subject) FROM registry_versions")[0])

    # -- settings -------------------------------------------------------------------------------
    def setting(self, table: str, subject: str) -> str | None:
        row = self._one(f"SELECT value FROM {_SETTING_TABLES[table]} WHERE subject = ?", (subject,))
        return None if row is None else row[0]

    def set_setting(self, table: str, subject: str, value: str) -> None:
        self._run(f"INSERT INTO {_SETTING_TABLES[table]} (subject, value) VALUES (?, ?) "
                  "ON CONFLICT (subject) DO UPDATE SET value = excluded.value", (subject, value))

    def delete_setting(self, table: str, subject: str) -> None:
        self._run(f"DELETE FROM {_SETTING_TABLES[table]} WHERE subject = ?", (subject,))

    def settings(self, table: str) -> dict[str, str]:
        return dict(self._all(f"SELECT subject, value FROM {_SETTING_TABLES[table]} ORDER BY subject"))
