"""The schema registry: Confluent Schema Registry semantics over a SQLite or PostgreSQL store.

    registry = open_registry("sqlite:///data/registry.db")
    registered = registry.register("orders-value", SchemaInput(text, SchemaType.AVRO))
    registry.schema_by_id(registered.id); registry.schema_by_subject("orders-value", "latest")
    registry.compiled(registered.id).value   # fastavro schema / ProtoSchema / JsonSchemaDoc, cached by id

Knows nothing of gRPC or HTTP: convsvc/server/registry_service.py and convsvc/server/rest/ serve it.
"""

from __future__ import annotations

import pathlib

from convsvc.registry import errors
from convsvc.registry.core import LATEST, Registry, parse_level, parse_mode, parse_type, parse_version
from convsvc.registry.errors import RegistryError
from convsvc.registry.model import (
    Level, Mode, Reason, Reference, SchemaInput, SchemaType, StoredSchema, SubjectVersion,
)
from convsvc.registry.stores import open_store


def store_url(kind: str = "sqlite", *, data_dir: str | pathlib.Path = "data", sqlite_path: str | None = None,
              postgres_dsn: str | None = None) -> str:
    """The store URL for a server config: SQLite at `<data_dir>/registry.db` unless told otherwise."""
    if kind == "postgres":
        if not postgres_dsn:
            raise ValueError("registry store 'postgres' needs a DSN (registry_postgres_dsn)")
        return postgres_dsn
    if kind != "sqlite":
        raise ValueError(f"unknown registry store {kind!r}; known: sqlite, postgres")
    return str(pathlib.Path(sqlite_path) if sqlite_path else pathlib.Path(data_dir) / "registry.db")


def open_registry(url: str, **options) -> Registry:
    """A Registry over the store at `url` (a SQLite path or `postgresql://...`)."""
    return Registry(open_store(url), **options)


__all__ = [
    "LATEST", "Level", "Mode", "Reason", "Reference", "Registry", "RegistryError", "SchemaInput", "SchemaType",
    "StoredSchema", "SubjectVersion", "errors", "open_registry", "parse_level", "parse_mode", "parse_type",
    "parse_version", "store_url",
]
