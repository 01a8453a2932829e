"""Schemas: one source (inline text or a registry entry) compiled once, cached by content hash.

Each schema type has a module here that compiles its text into the library's own compiled form
(fastavro parsed schema, protobuf message class, jsonschema validator) plus the schema-neutral Shape.
Codecs and the registry use these; nothing here knows gRPC or storage.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from typing import Any

from convsvc.model.shape import Shape

SCHEMA_TYPES = ("avro", "protobuf", "json")


class SchemaError(ValueError):
    """The schema itself is invalid; `path` points into it where known."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


@dataclasses.dataclass(frozen=True, slots=True)
class Reference:
    """A schema another one refers to: by the name the referrer uses (an Avro full name, a .proto
    import path, a JSON Schema $ref), with its type and text."""

    name: str
    type: str
    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class SchemaSource:
    """What a request or the registry hands over: the schema's type and text (or descriptor set)."""

    type: str  # avro | protobuf | json
    text: str = ""
    descriptor_set: bytes = b""  # Protobuf alternative to text: a serialized FileDescriptorSet
    message_type: str = ""  # Protobuf: the full name of the message to use
    references: tuple[Reference, ...] = ()  # resolved references, dependencies first
    registry_id: int | None = dataclasses.field(default=None, compare=False)  # not content: not in the digest
    # The content hash: computed once here, not by every caller that keys a cache on it (several per call).
    digest: str = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", self._content_digest())

    def _content_digest(self) -> str:
        hasher = hashlib.sha256()
        parts = [self.type, self.text, self.descriptor_set.hex(), self.message_type]
        for reference in self.references:
            parts += [reference.name, reference.type, reference.text]
        for part in parts:
            hasher.update(part.encode())
            hasher.update(b"\0")
        return hasher.hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class CompiledSchema:
    """A schema ready to use: its Shape, the library's compiled form, and where it came from."""

    source: SchemaSource
    shape: Shape
    compiled: Any  # fastavro parsed schema | protobuf message class | jsonschema validator


def compile_schema(source: SchemaSource) -> CompiledSchema:
    """Compile (or fetch from the per-process cache: schemas are immutable by content)."""
    if source.type not in SCHEMA_TYPES:
        raise SchemaError(f"unknown schema type {source.type!r}; known: {', '.join(SCHEMA_TYPES)}")
    return _compile_cached(source.digest, source)


@functools.lru_cache(maxsize=1024)
def _compile_cached(digest: str, source: SchemaSource) -> CompiledSchema:
    if source.type == "avro":
        from convsvc.schemas import avro as module
    elif source.type == "protobuf":
        from convsvc.schemas import protobuf as module
    else:
        from convsvc.schemas import json_schema as module
    return module.compile(source)
