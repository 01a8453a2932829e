"""The registry's semantics (Confluent Schema Registry's, point by point; see docs/registry.md):
subjects, versions and global ids, idempotent registration, references, normalisation, compatibility
levels, soft and hard deletes, and modes. Storage is a Store; parsing and rules are convsvc.registry.types.

Registration parses and checks compatibility outside the store's write lock, then re-reads the subject
under the lock and retries when another writer changed it meanwhile (optimistic concurrency), so slow
work (protoc, rule checks) never holds the lock.
"""

from __future__ import annotations

import collections
import hashlib
import json
import threading
from collections.abc import Iterable, Sequence

from convsvc.registry import errors
from convsvc.registry.model import (
    DEFAULT_LEVEL, DEFAULT_MODE, Level, Mode, Reason, Reference, SchemaInput, SchemaType, StoredSchema,
    SubjectVersion, valid_subject,
)
from convsvc.registry.stores import Store, Tx, VersionRow
from convsvc.registry.types import Dependency, Parsed, compatibility, parse

LATEST = -1  # Confluent's version number for "the latest"
MAX_VERSION = 2**31 - 1
_RETRIES = 20  # optimistic registration attempts before giving up (each one means another writer won)


def parse_version(value: int | str | None, *, allow_latest: bool = True) -> int:
    """1..2^31-1, or LATEST for "latest" / -1 (and 0, the gRPC default); else InvalidVersion."""
    if value is None or value == "":
        return LATEST
    if isinstance(value, str):
        if value.strip().lower() == "latest" and allow_latest:
            return LATEST
        try:
            value = int(value)
        except ValueError:
            raise errors.InvalidVersion(value) from None
    if value in (0, -1) and allow_latest:
        return LATEST
    if not 1 <= value <= MAX_VERSION:
        raise errors.InvalidVersion(value)
    return value


def parse_level(value: str | Level) -> Level:
    if isinstance(value, Level):
        return value
    try:
        return Level((value or "").upper())
    except ValueError:
        raise errors.InvalidCompatibilityLevel(value) from None


def parse_mode(value: str | Mode) -> Mode:
    if isinstance(value, Mode):
        return value
    try:
        return Mode((value or "").upper())
    except ValueError:
        raise errors.InvalidMode(value) from None


def parse_type(value: str | SchemaType | None) -> SchemaType:
    if isinstance(value, SchemaType):
        return value
    try:
        return SchemaType.parse(value)
    except ValueError:
        raise errors.InvalidSchema(f"unknown schema type {value!r}; known: AVRO, PROTOBUF, JSON",
                                   path="schemaType") from None


def fingerprint(schema_type: SchemaType, text: str, references: Sequence[Reference]) -> str:
    """The identity of a schema: same type, text and references -> same id."""
    payload = json.dumps([schema_type.value, text, [ref.to_dict() for ref in references]],
                         separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class _Lru:
    """A small thread-safe LRU: compiled schemas are immutable by id, so entries never go stale."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)


class Registry:
    """The schema registry over one store. Thread-safe; every method is synchronous (servers call them
    on worker threads)."""

    def __init__(self, store: Store, *, cache_size: int = 1000) -> None:
        self.store = store
        self._compiled = _Lru(cache_size)  # schema id -> Parsed
        self._inputs = _Lru(cache_size)  # (type, text, refs) -> Parsed

    def close(self) -> None:
        self.store.close()

    # -- the small API the engine uses ------------------------------------------------------------
    def schema_by_id(self, schema_id: int) -> StoredSchema:
        """The schema with this global id (soft-deleted versions keep it resolvable); SchemaNotFound."""
        with self.store.read() as tx:
            schema = tx.schema(schema_id)
        if schema is None:
            raise errors.SchemaNotFound(f"Schema {schema_id} not found", id=schema_id)
        return schema

    def schema_by_subject(self, subject: str, version: int | str = LATEST,
                          include_deleted: bool = False) -> SubjectVersion:
        """A subject's version (LATEST = the newest live one)."""
        number = parse_version(version)
        with self.store.read() as tx:
            rows = tx.versions(subject)
            row = self._pick(subject, rows, number, include_deleted)
            schema = tx.schema(row.schema_id)
        return SubjectVersion(subject, row.version, schema, row.deleted)

    def dependencies(self, schema: StoredSchema) -> list[Dependency]:
        """A schema's references, resolved transitively, dependencies first."""
        with self.store.read() as tx:
            return self._dependencies(tx, schema.references, schema.type)

    def compiled(self, schema_id: int) -> Parsed:
        """The parsed form of a stored schema (fastavro schema, ProtoSchema, JsonSchemaDoc), cached
        per process by id without invalidation: a schema never changes under its id."""
        cached = self._compiled.get(schema_id)
        if cached is None:
            schema = self.schema_by_id(schema_id)
            with self.store.read() as tx:
                deps = self._dependencies(tx, schema.references, schema.type)
            cached = parse(schema.type, schema.text, deps)
            self._compiled.put(schema_id, cached)
        return cached

    # -- reads -------------------------------------------------------------------------------------
    @staticmethod
    def _pick(subject: str, rows: list[VersionRow], number: int, include_deleted: bool) -> VersionRow:
        visible = [row for row in rows if include_deleted or not row.deleted]
        if not visible:
            raise errors.SubjectNotFound(subject)
        if number == LATEST:
            return visible[-1]
        for row in visible:
            if row.version == number:
                return row
        raise errors.VersionNotFound(subject, number)

    def subjects(self, prefix: str = "", include_deleted: bool = False) -> list[str]:
        with self.store.read() as tx:
            names = tx.subjects(include_deleted)
        return [name for name in names if name.startswith(prefix)]

    def versions(self, subject: str, include_deleted: bool = False) -> list[int]:
        with self.store.read() as tx:
            rows = [row for row in tx.versions(subject) if include_deleted or not row.deleted]
        if not rows:
            raise errors.SubjectNotFound(subject)
        return [row.version for row in rows]

    def schema_usages(self, schema_id: int, include_deleted: bool = False) -> list[tuple[str, int]]:
        """(subject, version) pairs holding a schema id (Confluent's /schemas/ids/{id}/versions)."""
        with self.store.read() as tx:
            if tx.schema(schema_id) is None:
                raise errors.SchemaNotFound(f"Schema {schema_id} not found", id=schema_id)
            rows = tx.version_rows_for_schema(schema_id)
        return [(row.subject, row.version) for row in rows if include_deleted or not row.deleted]

    def referenced_by(self, subject: str, version: int | str) -> list[int]:
        number = parse_version(version)
        with self.store.read() as tx:
            row = self._pick(subject, tx.versions(subject), number, include_deleted=True)
            return tx.referencing_schema_ids(subject, row.version)

    def lookup(self, subject: str, schema: SchemaInput, normalize: bool = False,
               include_deleted: bool = False) -> SubjectVersion:
        """The version of a subject that holds this schema (POST /subjects/{subject})."""
        self._check_subject(subject)
        with self.store.read() as tx:
            if not any(include_deleted or not row.deleted for row in tx.versions(subject)):
                raise errors.SubjectNotFound(subject)
            parsed = self._parse_input(tx, schema)
        text = parsed.normalized if normalize else parsed.canonical
        key = fingerprint(schema.type, text, schema.references)
        with self.store.read() as tx:
            rows = [row for row in tx.matching_versions(subject, key, normalized=normalize)
                    if include_deleted or not row.deleted]
            if not rows and not normalize:  # a schema registered with normalize=true matches its normal form
                rows = [row for row in tx.matching_versions(subject, fingerprint(schema.type, parsed.normalized,
                                                                                 schema.references), True)
                        if include_deleted or not row.deleted]
            if not rows:
                raise errors.SchemaNotFound("Schema not found", subject=subject)
            row = rows[-1]
            return SubjectVersion(subject, row.version, tx.schema(row.schema_id), row.deleted)

    # -- registration ------------------------------------------------------------------------------
    def register(self, subject: str, schema: SchemaInput, normalize: bool = False, *,
                 schema_id: int | None = None, version: int | None = None) -> SubjectVersion:
        """Register (idempotent: the same schema in the same subject returns the existing version; the
        same schema in another subject gets the same id). `schema_id`/`version` only in IMPORT mode."""
        self._check_subject(subject)
        for _ in range(_RETRIES):
            with self.store.read() as tx:
                mode = self._mode(tx, subject)
                self._check_registrable(mode, subject, importing=schema_id is not None)
                parsed = self._parse_input(tx, schema)
                rows = tx.versions(subject)
                level = self._level(tx, subject)
            text = parsed.normalized if normalize else parsed.canonical
            key = fingerprint(schema.type, text, schema.references)
            normal_key = fingerprint(schema.type, parsed.normalized, schema.references)
            existing = self._existing(subject, key, normal_key, normalize, rows, schema_id, version)
            if existing is not None:
                return existing
            if mode is not Mode.IMPORT:
                reasons = self._reasons(parsed, [row for row in rows if not row.deleted], level)
                if reasons:
                    raise errors.IncompatibleSchema(subject, level.value, reasons)
            with self.store.write() as tx:
                if tx.versions(subject) != rows or self._mode(tx, subject) is not mode:
                    continue  # another writer changed the subject: check again against what is there now
                self._check_references_exist(tx, schema.references)
                new_id = self._assign_id(tx, schema.type, text, schema.references, key, normal_key, schema_id)
                number = version if version is not None else max((row.version for row in rows), default=0) + 1
                if any(row.version == number for row in rows):
                    raise errors.OperationNotPermitted(
                        f"Version {number} of subject '{subject}' already holds another schema", subject=subject,
                        version=number)
                tx.insert_version(VersionRow(subject, number, new_id, False))
                stored = tx.schema(new_id)
            return SubjectVersion(subject, number, stored, False)
        raise errors.StoreError(f"registration in subject '{subject}' kept conflicting with other writers")

    def _existing(self, subject: str, key: str, normal_key: str, normalize: bool, rows: list[VersionRow],
                  schema_id: int | None, version: int | None) -> SubjectVersion | None:
        with self.store.read() as tx:
            matches = [row for row in tx.matching_versions(subject, key, normalized=False) if not row.deleted]
            if normalize:
                matches += [row for row in tx.matching_versions(subject, normal_key, normalized=True)
                            if not row.deleted and row not in matches]
            if not matches:
                return None
            row = max(matches, key=lambda r: r.version)
            if schema_id is not None and row.schema_id != schema_id:
                raise errors.IdConflict(f"Schema already registered with id {row.schema_id} instead of input id "
                                        f"{schema_id}", id=row.schema_id)
            if version is not None and row.version != version:
                return None  # an import of the same schema at another version is a new version
            return SubjectVersion(subject, row.version, tx.schema(row.schema_id), False)

    def _assign_id(self, tx: Tx, schema_type: SchemaType, text: str, references: Sequence[Reference], key: str,
                   normal_key: str, wanted: int | None) -> int:
        known = tx.schema_id_by_fingerprint(key)
        if wanted is None:
            if known is not None:
                return known
            new_id = tx.allocate_id()
            tx.insert_schema(StoredSchema(new_id, schema_type, text, tuple(references)), key, normal_key)
            return new_id
        if known is not None and known != wanted:
            raise errors.IdConflict(f"Schema already registered with id {known} instead of input id {wanted}",
                                    id=known)
        holder = tx.schema(wanted)
        if holder is not None and known != wanted:
            raise errors.IdConflict(f"Overwrite new schema with id {wanted} is not permitted.", id=wanted)
        if holder is None:
            tx.insert_schema(StoredSchema(wanted, schema_type, text, tuple(references)), key, normal_key)
        tx.reserve_ids_through(wanted)  # later registrations never take an imported id
        return wanted

    # -- compatibility ------------------------------------------------------------------------------
    def check(self, subject: str, schema: SchemaInput, version: int | str | None = None,
              normalize: bool = False) -> tuple[Level, list[Reason]]:
        """Dry run: the reasons `schema` breaks the subject's level (empty: compatible). `version` None
        checks what a registration would (the latest, or every live version when transitive); a number
        or "latest" checks that one version."""
        self._check_subject(subject)
        with self.store.read() as tx:
            parsed = self._parse_input(tx, schema)
            level = self._level(tx, subject)
            rows = [row for row in tx.versions(subject) if not row.deleted]
        if version is not None:
            number = parse_version(version)
            if not rows:
                raise errors.SubjectNotFound(subject)
            rows = [self._pick(subject, rows, number, include_deleted=False)]
            if level is Level.NONE:
                return level, []
            return level, self._reasons(parsed, rows, level, all_given=True)
        return level, self._reasons(parsed, rows, level)

    def _reasons(self, parsed: Parsed, rows: list[VersionRow], level: Level,
                 all_given: bool = False) -> list[Reason]:
        if level is Level.NONE or not rows:
            return []
        targets = rows if (level.transitive or all_given) else rows[-1:]
        reasons: list[Reason] = []
        for row in reversed(targets):
            old = self.compiled(row.schema_id)
            if level.backward:
                reasons += [r.with_version(row.version) for r in compatibility(parsed, old, "new", "old")]
            if level.forward:
                reasons += [r.with_version(row.version) for r in compatibility(old, parsed, "old", "new")]
        return reasons

    # -- deletes -------------------------------------------------------------------------------------
    def delete_version(self, subject: str, version: int | str, permanent: bool = False) -> int:
        number = parse_version(version)
        with self.store.write() as tx:
            self._check_writable(self._mode(tx, subject), subject)
            rows = tx.versions(subject)
            if not rows or (not permanent and all(row.deleted for row in rows) and number == LATEST):
                raise errors.SubjectNotFound(subject)
            # a numbered version is found even when soft-deleted (to say so); "latest" means the latest live one
            row = self._pick(subject, rows, number, include_deleted=permanent or number != LATEST)
            if tx.referencing_schema_ids(subject, row.version):
                raise errors.ReferenceExists(subject, row.version)
            if not permanent:
                if row.deleted:
                    raise errors.VersionSoftDeleted(subject, row.version)
                tx.mark_deleted(subject, row.version)
            else:
                if not row.deleted:
                    raise errors.VersionNotSoftDeleted(subject, row.version)
                tx.delete_version(subject, row.version)
                self._collect_schema(tx, row.schema_id)
                if len(rows) == 1:
                    tx.delete_setting("config", subject)
                    tx.delete_setting("mode", subject)
        return row.version

    def delete_subject(self, subject: str, permanent: bool = False) -> list[int]:
        with self.store.write() as tx:
            self._check_writable(self._mode(tx, subject), subject)
            rows = tx.versions(subject)
            if not rows:
                raise errors.SubjectNotFound(subject)
            live = [row for row in rows if not row.deleted]
            if not permanent and not live:
                raise errors.SubjectSoftDeleted(subject)
            if permanent and live:
                raise errors.SubjectNotSoftDeleted(subject)
            for row in rows:
                if tx.referencing_schema_ids(subject, row.version):
                    raise errors.ReferenceExists(subject, row.version)
            if not permanent:
                for row in live:
                    tx.mark_deleted(subject, row.version)
                return [row.version for row in live]
            for row in rows:
                tx.delete_version(subject, row.version)
            for schema_id in sorted({row.schema_id for row in rows}):
                self._collect_schema(tx, schema_id)
            tx.delete_setting("config", subject)
            tx.delete_setting("mode", subject)
            return [row.version for row in rows]

    @staticmethod
    def _collect_schema(tx: Tx, schema_id: int) -> None:
        """A schema no version holds any more goes; its id is never handed out again."""
        if not tx.version_rows_for_schema(schema_id):
            tx.delete_schema(schema_id)

    # -- compatibility level and mode -----------------------------------------------------------------
    def get_level(self, subject: str | None = None, default_to_global: bool = False) -> Level:
        with self.store.read() as tx:
            if subject:
                value = tx.setting("config", subject)
                if value is not None:
                    return Level(value)
                if not default_to_global:
                    raise errors.CompatibilityNotConfigured(subject)
            value = tx.setting("config", "")
        return Level(value) if value else DEFAULT_LEVEL

    def set_level(self, level: str | Level, subject: str | None = None) -> Level:
        level = parse_level(level)
        if subject:
            self._check_subject(subject)
        with self.store.write() as tx:
            tx.set_setting("config", subject or "", level.value)
        return level

    def delete_level(self, subject: str | None = None) -> Level:
        """Remove a subject's level (it falls back to the global one) or reset the global one to
        BACKWARD; returns the level that was removed."""
        with self.store.write() as tx:
            value = tx.setting("config", subject or "")
            if value is None and subject:
                raise errors.CompatibilityNotConfigured(subject)
            tx.delete_setting("config", subject or "")
        return Level(value) if value else DEFAULT_LEVEL

    def get_mode(self, subject: str | None = None, default_to_global: bool = False) -> Mode:
        with self.store.read() as tx:
            if subject:
                value = tx.setting("mode", subject)
                if value is not None:
                    return Mode(value)
                if not default_to_global:
                    raise errors.ModeNotConfigured(subject)
            value = tx.setting("mode", "")
        return Mode(value) if value else DEFAULT_MODE

    def set_mode(self, mode: str | Mode, subject: str | None = None, force: bool = False) -> Mode:
        """IMPORT is refused while the registry (or the subject) holds schemas, unless `force`."""
        mode = parse_mode(mode)
        if subject:
            self._check_subject(subject)
        with self.store.write() as tx:
            if mode is Mode.IMPORT and not force:
                occupied = bool(tx.versions(subject)) if subject else tx.subject_count() > 0
                if occupied:
                    raise errors.OperationNotPermitted(
                        "Cannot import since found existing subjects" if not subject else
                        f"Cannot import since subject '{subject}' has versions", subject=subject)
            tx.set_setting("mode", subject or "", mode.value)
        return mode

    def delete_mode(self, subject: str | None = None) -> Mode:
        with self.store.write() as tx:
            value = tx.setting("mode", subject or "")
            if value is None and subject:
                raise errors.ModeNotConfigured(subject)
            tx.delete_setting("mode", subject or "")
        return Mode(value) if value else DEFAULT_MODE

    def settings(self) -> dict[str, dict[str, str]]:
        """Every stored level and mode ('' = global): for export."""
        with self.store.read() as tx:
            return {"config": tx.settings("config"), "mode": tx.settings("mode")}

    @staticmethod
    def schema_types() -> list[str]:
        return [kind.value for kind in (SchemaType.JSON, SchemaType.PROTOBUF, SchemaType.AVRO)]

    # -- helpers ---------------------------------------------------------------------------------------
    @staticmethod
    def _check_subject(subject: str) -> None:
        if not valid_subject(subject):
            raise errors.InvalidSubject(subject)

    @staticmethod
    def _mode(tx: Tx, subject: str) -> Mode:
        value = tx.setting("mode", subject) or tx.setting("mode", "")
        return Mode(value) if value else DEFAULT_MODE

    @staticmethod
    def _level(tx: Tx, subject: str) -> Level:
        value = tx.setting("config", subject) or tx.setting("config", "")
        return Level(value) if value else DEFAULT_LEVEL

    @staticmethod
    def _check_writable(mode: Mode, subject: str) -> None:
        if mode is Mode.READONLY:
            raise errors.OperationNotPermitted(f"Subject {subject} is in read-only mode", subject=subject,
                                               mode=mode.value)

    @classmethod
    def _check_registrable(cls, mode: Mode, subject: str, importing: bool) -> None:
        cls._check_writable(mode, subject)
        if importing and mode is not Mode.IMPORT:
            raise errors.OperationNotPermitted(f"Subject {subject} is not in import mode: a schema id may only be "
                                               "given in IMPORT mode", subject=subject, mode=mode.value)
        if mode is Mode.IMPORT and not importing:
            raise errors.OperationNotPermitted(f"Subject {subject} is in import mode: registrations must give the "
                                               "schema id", subject=subject, mode=mode.value)

    def _parse_input(self, tx: Tx, schema: SchemaInput) -> Parsed:
        cache_key = (schema.type, schema.text, schema.references)
        cached = self._inputs.get(cache_key)
        if cached is None:
            deps = self._dependencies(tx, schema.references, schema.type)
            cached = parse(schema.type, schema.text, deps)
            self._inputs.put(cache_key, cached)
        return cached

    def _dependencies(self, tx: Tx, references: Iterable[Reference], schema_type: SchemaType) -> list[Dependency]:
        """References resolved transitively, deps-first, each name once."""
        out: dict[str, Dependency] = {}
        visiting: set[tuple[str, int]] = set()

        def visit(ref: Reference) -> None:
            if ref.name in out:
                return
            key = (ref.subject, ref.version)
            if key in visiting:
                raise errors.InvalidSchema(f"reference cycle through {ref.subject} version {ref.version}")
            visiting.add(key)
            row = self._reference_row(tx, ref)
            stored = tx.schema(row.schema_id)
            if stored.type is not schema_type:
                raise errors.InvalidSchema(f"reference {ref.name!r} is a {stored.type.value} schema, not "
                                           f"{schema_type.value}", path=f"/references/{ref.name}")
            for inner in stored.references:
                visit(inner)
            out[ref.name] = Dependency(ref.name, stored.type, stored.text)
            visiting.discard(key)

        for ref in references:
            visit(ref)
        return list(out.values())

    @staticmethod
    def _reference_row(tx: Tx, ref: Reference) -> VersionRow:
        rows = [row for row in tx.versions(ref.subject) if not row.deleted]
        wanted = LATEST if ref.version in (-1, 0) else ref.version
        for row in (rows[-1:] if wanted == LATEST else rows):
            if row.version == wanted or wanted == LATEST:
                return row
        raise errors.InvalidSchema(f"reference {ref.name!r} names subject {ref.subject!r} version {ref.version}, "
                                   "which does not exist", path=f"/references/{ref.name}")

    def _check_references_exist(self, tx: Tx, references: Iterable[Reference]) -> None:
        for ref in references:
            self._reference_row(tx, ref)
