"""Avro schemas (.avsc JSON): fastavro's parsed form, the Shape, canonical form and fingerprint."""

from __future__ import annotations

import json
from typing import Any

import fastavro
from fastavro.schema import SchemaParseException, fingerprint, to_parsing_canonical_form

from convsvc.model.shape import NO_DEFAULT, Field, Kind, Shape
from convsvc.schemas import CompiledSchema, SchemaError, SchemaSource

_PRIMITIVES = {
    "null": Kind.NULL, "boolean": Kind.BOOL, "int": Kind.INT32, "long": Kind.INT64, "float": Kind.FLOAT,
    "double": Kind.DOUBLE, "bytes": Kind.BYTES, "string": Kind.STRING,
}
_LOGICAL = {  # (logicalType, underlying type) -> (kind, unit)
    ("date", "int"): (Kind.DATE, ""),
    ("time-millis", "int"): (Kind.TIME, "millis"),
    ("time-micros", "long"): (Kind.TIME, "micros"),
    ("timestamp-millis", "long"): (Kind.TIMESTAMP, "millis"),
    ("timestamp-micros", "long"): (Kind.TIMESTAMP, "micros"),
    ("timestamp-nanos", "long"): (Kind.TIMESTAMP, "nanos"),
    ("local-timestamp-millis", "long"): (Kind.LOCAL_TIMESTAMP, "millis"),
    ("local-timestamp-micros", "long"): (Kind.LOCAL_TIMESTAMP, "micros"),
    ("local-timestamp-nanos", "long"): (Kind.LOCAL_TIMESTAMP, "nanos"),
    ("uuid", "string"): (Kind.UUID, ""),
    ("uuid", "fixed"): (Kind.UUID, ""),
    ("duration", "fixed"): (Kind.CALENDAR_DURATION, ""),
}


def compile(source: SchemaSource) -> CompiledSchema:
    schema = parse_json(source.text)
    named: dict = {}
    translator = _Translator()
    try:
        for reference in source.references:  # named types the schema uses by name, dependencies first
            dependency = parse_json(reference.text)
            fastavro.parse_schema(dependency, named_schemas=named)
            translator.shape(dependency, "")
        parsed = fastavro.parse_schema(schema, named_schemas=named)
        shape = translator.shape(schema, "")
    except (SchemaParseException, ValueError, TypeError, KeyError, AttributeError) as error:
        raise SchemaError(f"invalid Avro schema: {error}") from None
    return CompiledSchema(source=source, shape=shape, compiled=parsed)


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SchemaError(f"Avro schema is not JSON: {error}") from None


def canonical_form(schema: Any) -> str:
    """The Parsing Canonical Form of the Avro specification."""
    return to_parsing_canonical_form(fastavro.parse_schema(schema))


def crc64_fingerprint(schema: Any) -> bytes:
    """CRC-64-AVRO of the canonical form, little-endian as single-object encoding writes it."""
    return bytes.fromhex(fingerprint(canonical_form(schema), "CRC-64-AVRO"))  # fastavro gives the LE bytes


class _Translator:
    """Avro schema JSON -> Shape, resolving named types (records may refer to themselves)."""

    def __init__(self) -> None:
        self.named: dict[str, Shape] = {}

    def shape(self, schema: Any, namespace: str) -> Shape:
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return Shape(_PRIMITIVES[schema])
            full = schema if "." in schema or not namespace else f"{namespace}.{schema}"
            for name in (full, schema):
                if name in self.named:
                    return self.named[name]
            raise SchemaError(f"unknown Avro type {schema!r}")
        if isinstance(schema, list):
            return Shape(Kind.UNION, branches=tuple(self.shape(branch, namespace) for branch in schema))
        if not isinstance(schema, dict) or "type" not in schema:
            raise SchemaError(f"not an Avro schema: {schema!r}")
        kind = schema["type"]
        logical = schema.get("logicalType")
        if logical == "decimal" and kind in ("bytes", "fixed"):
            shape = Shape(Kind.DECIMAL, precision=int(schema.get("precision", 0)), scale=int(schema.get("scale", 0)))
            if kind == "fixed":
                self._name(schema, namespace, shape, size=int(schema["size"]))
            return shape
        if (logical, kind) in _LOGICAL:
            mapped, unit = _LOGICAL[(logical, kind)]
            shape = Shape(mapped, unit=unit)
            if kind == "fixed":
                self._name(schema, namespace, shape, size=int(schema["size"]))
            return shape
        if kind in _PRIMITIVES:
            return Shape(_PRIMITIVES[kind])
        if kind == "array":
            return Shape(Kind.ARRAY, items=self.shape(schema["items"], namespace))
        if kind == "map":
            return Shape(Kind.MAP, items=self.shape(schema["values"], namespace))
        if kind == "enum":
            shape = Shape(Kind.ENUM, symbols=tuple(schema["symbols"]), doc=schema.get("doc", ""))
            self._name(schema, namespace, shape)
            return shape
        if kind == "fixed":
            shape = Shape(Kind.FIXED)
            self._name(schema, namespace, shape, size=int(schema["size"]))
            return shape
        if kind in ("record", "error"):
            shape = Shape(Kind.RECORD, doc=schema.get("doc", ""))
            inner = self._name(schema, namespace, shape)
            for field in schema["fields"]:
                shape.fields.append(Field(
                    name=field["name"], shape=self.shape(field["type"], inner),
                    default=field.get("default", NO_DEFAULT), required=True,
                    aliases=tuple(field.get("aliases", ())), doc=field.get("doc", "")))
            return shape
        return self.shape(kind, namespace)  # {"type": "string"} or {"type": "acme.Named"}

    def _name(self, schema: dict, namespace: str, shape: Shape, size: int = 0) -> str:
        """Register a named type; returns the namespace its children inherit."""
        name = schema["name"]
        space = schema.get("namespace", namespace) if "." not in name else name.rpartition(".")[0]
        full = name if "." in name or not space else f"{space}.{name}"
        shape.name = full
        shape.size = size
        self.named[full] = shape
        for alias in schema.get("aliases", ()):
            self.named[alias if "." in alias or not space else f"{space}.{alias}"] = shape
        return space
