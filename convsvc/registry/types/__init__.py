"""The table of schema types: one module per type, each with `parse` (text + resolved references ->
Parsed) and `compatibility` (reader, writer -> reasons). The core looks types up here and nowhere else."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from convsvc.registry.model import Reason, SchemaType


@dataclasses.dataclass(frozen=True, slots=True)
class Dependency:
    """A resolved reference: the name the referring schema uses and the referenced schema itself
    (whose own dependencies come earlier in the same list: dependencies are ordered deps-first)."""

    name: str
    type: SchemaType
    text: str


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class Parsed:
    """A schema that parsed. `canonical` is the text stored and served (insensitive to whitespace and
    comments); `normalized` the normalize=true form (see docs/registry.md); `value` the type's own
    compiled form (fastavro parsed schema, FileDescriptorSet, JSON document) for compatibility checks
    and for the engine."""

    type: SchemaType
    canonical: str
    normalized: str
    value: Any
    extra: dict = dataclasses.field(default_factory=dict)


def _modules() -> dict[SchemaType, ModuleType]:
    from convsvc.registry.types import avro, jsonschema, protobuf

    return {SchemaType.AVRO: avro, SchemaType.PROTOBUF: protobuf, SchemaType.JSON: jsonschema}


_TABLE: dict[SchemaType, ModuleType] = {}


def handler(schema_type: SchemaType) -> ModuleType:
    if not _TABLE:
        _TABLE.update(_modules())
    return _TABLE[schema_type]


def parse(schema_type: SchemaType, text: str, dependencies: Sequence[Dependency] = ()) -> Parsed:
    """Parse and validate a schema; raises InvalidSchema with the position or path of the fault."""
    return handler(schema_type).parse(text, tuple(dependencies))


def compatibility(reader: Parsed, writer: Parsed, reader_label: str = "new",
                  writer_label: str = "old") -> list[Reason]:
    """Why consumers using `reader` cannot handle data written with `writer` (empty: they can)."""
    if reader.type is not writer.type:
        return [Reason("TYPE_MISMATCH", "", f"the {reader_label} schema is {reader.type.value} and the "
                       f"{writer_label} schema is {writer.type.value}")]
    return handler(reader.type).compatibility(reader, writer, reader_label, writer_label)
