"""The registry as the engine's schema resolver: a reference by id or subject -> a SchemaSource."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable

from convsvc.registry import errors
from convsvc.registry.core import LATEST, Registry
from convsvc.registry.model import StoredSchema
from convsvc.schemas import Reference, SchemaSource


CACHE_ENTRIES = 4096
CACHE_SECONDS = 300.0  # how long a hard-deleted schema may still convert in a process that used it


class RegistrySchemas:
    """Looks schemas up in a Registry, with their references resolved (dependencies first).

    The text under an id, and under a subject's numbered version, never changes: those lookups are
    cached per process (LRU, CACHE_ENTRIES, each for CACHE_SECONDS, so a hard delete takes effect
    within that time), which spares the store two transactions per Convert. "Latest" is never cached:
    a new version is used by the next call."""

    def __init__(self, registry: Registry, clock: Callable[[], float] = time.monotonic) -> None:
        self._registry = registry
        self._clock = clock
        self._cache: collections.OrderedDict[tuple, tuple[float, SchemaSource]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def source_by_id(self, schema_id: int, message_type: str = "") -> SchemaSource:
        """LookupError (with a message for the caller) when there is no such schema."""
        return self._cached(("id", schema_id, message_type),
                            lambda: self._source(self._registry.schema_by_id(schema_id), message_type))

    def source_by_subject(self, subject: str, version: int = 0, message_type: str = "") -> SchemaSource:
        """Version 0 means the latest live version."""
        def look_up() -> SchemaSource:
            return self._source(self._registry.schema_by_subject(subject, version or LATEST).schema, message_type)

        if not version:
            return self._cached(None, look_up)
        return self._cached(("subject", subject, version, message_type), look_up)

    def _cached(self, key: tuple | None, look_up: Callable[[], SchemaSource]) -> SchemaSource:
        now = self._clock()
        if key is not None:
            with self._lock:
                hit = self._cache.get(key)
                if hit is not None and now - hit[0] < CACHE_SECONDS:
                    self._cache.move_to_end(key)
                    return hit[1]
        try:
            source = look_up()
        except errors.RegistryError as error:
            raise LookupError(str(error)) from None
        if key is not None:
            with self._lock:
                self._cache[key] = (now, source)
                self._cache.move_to_end(key)
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
        return source

    def _source(self, schema: StoredSchema, message_type: str) -> SchemaSource:
        references = tuple(Reference(name=dependency.name, type=dependency.type.value.lower(), text=dependency.text)
                           for dependency in self._registry.dependencies(schema))
        return SchemaSource(type=schema.type.value.lower(), text=schema.text, message_type=message_type,
                            references=references, registry_id=schema.id)
