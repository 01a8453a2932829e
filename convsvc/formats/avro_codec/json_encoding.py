"""The Avro JSON encoding (spec: "JSON Encoding"): schema-directed, strict, with JSON Pointer paths.

Written here rather than on fastavro.json_reader/json_writer: fastavro's JSON decoder checks no
types (a string passes as an int), fills missing fields with defaults silently, accepts an enum
symbol it does not know, and copies arrays with list.pop(0) (quadratic). Output is checked against
fastavro.json_writer's in tests/test_avro_codec.py.

Rules: unions are null or {"branch name": value} (full name for named types, the type name
otherwise); bytes and fixed are strings whose code points 0-255 are the bytes; logical types travel
as their underlying type (timestamp-millis as a long, decimal as bytes). NaN and ±Infinity, which
JSON lacks, are the strings "NaN", "Infinity", "-Infinity" (what Avro's Java JsonEncoder writes).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from decimal import Decimal
from typing import Any

from convsvc.formats.avro_codec.plan import type_name
from convsvc.model import Code, Context
from convsvc.model.positions import child_pointer

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_EPOCH_DATE = dt.date(1970, 1, 1)
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_PER_SECOND = {"millis": 1_000, "micros": 1_000_000, "nanos": 1_000_000_000}
_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


class Mismatch(Exception):
    """(message, path, code)"""


def _fail(path: str, message: str, code: Code = Code.SCHEMA_VIOLATION):
    raise Mismatch(message, path, code)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


# -- JSON -> canonical ---------------------------------------------------------------------------------

class Reader:
    """A JSON value in the Avro JSON encoding of `schema` -> the canonical value."""

    def __init__(self, named: dict, ctx: Context) -> None:
        self.named = named
        self.ctx = ctx

    def read(self, value: Any, schema: Any, path: str) -> Any:
        if isinstance(schema, str):
            if schema in self.named:
                schema = self.named[schema]
            else:
                return self._primitive(value, schema, path)
        if isinstance(schema, list):
            return self._union(value, schema, path)
        kind = schema["type"]
        if isinstance(kind, (list, dict)) or (isinstance(kind, str) and kind in self.named):
            return self.read(value, kind, path)
        logical = schema.get("logicalType")
        if kind == "record" or kind == "error":
            return self._record(value, schema, path)
        if kind == "enum":
            if not isinstance(value, str):
                _fail(path, f"expected an enum symbol, got {_describe(value)}")
            if value not in schema["symbols"]:
                _fail(path, f"{value!r} is not a symbol of {schema['name']}")
            return value
        if kind == "array":
            if not isinstance(value, list):
                _fail(path, f"expected an array, got {_describe(value)}")
            items = schema["items"]
            return [self.read(item, items, child_pointer(path, index)) for index, item in enumerate(value)]
        if kind == "map":
            if not isinstance(value, dict):
                _fail(path, f"expected a map (object), got {_describe(value)}")
            values = schema["values"]
            return {key: self.read(item, values, child_pointer(path, key)) for key, item in value.items()}
        if kind == "fixed":
            raw = _latin1(value, path)
            if len(raw) != schema["size"]:
                _fail(path, f"expected {schema['size']} bytes for fixed {schema['name']}, got {len(raw)}")
            return _logical_from_raw(raw, schema, logical, path, self.ctx)
        raw = self._primitive(value, kind, path)
        return _logical_from_raw(raw, schema, logical, path, self.ctx) if logical else raw

    def _primitive(self, value: Any, kind: str, path: str) -> Any:
        if kind == "null":
            if value is not None:
                _fail(path, f"expected null, got {_describe(value)}")
            return None
        if kind == "boolean":
            if not isinstance(value, bool):
                _fail(path, f"expected a boolean, got {_describe(value)}")
            return value
        if kind in ("int", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                _fail(path, f"expected an integer ({kind}), got {_describe(value)}")
            low, high = _RANGES[kind]
            if not low <= value <= high:
                _fail(path, f"{value} does not fit an Avro {kind}", Code.VALUE_OUT_OF_RANGE)
            return value
        if kind in ("float", "double"):
            if isinstance(value, str) and value in _NON_FINITE:
                return _NON_FINITE[value]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                _fail(path, f"expected a number ({kind}), got {_describe(value)}")
            return float(value)
        if kind == "string":
            if not isinstance(value, str):
                _fail(path, f"expected a string, got {_describe(value)}")
            return value
        if kind == "bytes":
            return _latin1(value, path)
        _fail(path, f"unknown Avro type {kind!r}", Code.INVALID_SCHEMA)

    def _union(self, value: Any, branches: list, path: str) -> Any:
        if value is None:
            if "null" not in branches:
                _fail(path, "null is not a branch of this union")
            return None
        if not isinstance(value, dict) or len(value) != 1:
            _fail(path, 'a union value is null or {"branch": value} with exactly one key')
        ((name, inner),) = value.items()
        for branch in branches:
            if type_name(branch) == name:
                return self.read(inner, branch, child_pointer(path, name))
        _fail(path, f"{name!r} is not a branch of the union ({', '.join(type_name(b) for b in branches)})")

    def _record(self, value: Any, schema: dict, path: str) -> dict:
        if not isinstance(value, dict):
            _fail(path, f"expected a record ({schema['name']}), got {_describe(value)}")
        out = {}
        for field in schema["fields"]:
            name = field["name"]
            child = child_pointer(path, name)
            if name in value:
                out[name] = self.read(value[name], field["type"], child)
            elif "default" in field:
                self.ctx.note(Code.DEFAULT_FILLED, f"missing field {name!r} filled with its default "
                              f"{field['default']!r}", path=child)
                out[name] = self.read(_default_as_json(field["default"], field["type"], self.named),
                                      field["type"], child)
            else:
                _fail(child, f"required field {name!r} is missing")
        known = {field["name"] for field in schema["fields"]}
        for key in value:
            if key not in known:
                self.ctx.note(Code.UNKNOWN_FIELD_DROPPED, f"field {key!r} is not in {schema['name']}",
                              path=child_pointer(path, key))
        return out


def _default_as_json(default: Any, schema: Any, named: dict) -> Any:
    """Field defaults are written in the JSON encoding except that a union's default belongs to its
    first branch and carries no {"branch": ...} wrapper."""
    if isinstance(schema, str) and schema in named:
        schema = named[schema]
    if isinstance(schema, list):
        return None if default is None else {type_name(schema[0]): default}
    return default


def _latin1(value: Any, path: str) -> bytes:
    if not isinstance(value, str):
        _fail(path, f"expected bytes as a string of code points 0-255, got {_describe(value)}")
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        _fail(path, "bytes are a string of code points 0-255 (the Avro JSON encoding); found a larger one")


def _logical_from_raw(raw: Any, schema: dict, logical: str | None, path: str, ctx: Context) -> Any:
    """The canonical value of an underlying Avro value, as the binary decoder gives it."""
    kind = schema["type"]
    try:
        if logical == "decimal" and kind in ("bytes", "fixed"):
            unscaled = int.from_bytes(raw, "big", signed=True)
            return Decimal(unscaled).scaleb(-int(schema.get("scale", 0)))
        if logical == "date" and kind == "int":
            return _EPOCH_DATE + dt.timedelta(days=raw)
        if logical in ("time-millis", "time-micros"):
            micros = raw * 1000 if logical == "time-millis" else raw
            if not 0 <= micros < 86_400_000_000:
                _fail(path, f"{raw} is not a time of day", Code.VALUE_OUT_OF_RANGE)
            return (dt.datetime.min + dt.timedelta(microseconds=micros)).time()
        if logical and logical.startswith(("timestamp-", "local-timestamp-")) and kind == "long":
            unit = logical.rsplit("-", 1)[1]
            epoch = _EPOCH_NAIVE if logical.startswith("local") else _EPOCH
            per_second = _PER_SECOND[unit]
            micros, rest = divmod(raw * 1_000_000, per_second)
            if rest:
                ctx.note(Code.PRECISION_LOST, f"{raw} ns since the epoch cut to microseconds", path=path)
            return epoch + dt.timedelta(microseconds=micros)
        if logical == "uuid" and kind == "string":
            return uuid.UUID(raw)
        if logical == "uuid" and kind == "fixed" and len(raw) == 16:
            return uuid.UUID(bytes=raw)
        if logical == "duration" and kind == "fixed" and len(raw) == 12:
            return {"months": int.from_bytes(raw[0:4], "little"), "days": int.from_bytes(raw[4:8], "little"),
                    "milliseconds": int.from_bytes(raw[8:12], "little")}
    except (OverflowError, ValueError):
        _fail(path, f"{raw!r} is out of range for {logical}", Code.VALUE_OUT_OF_RANGE)
    return raw


# -- canonical (conformed) -> JSON ------------------------------------------------------------------------

class Writer:
    """A conformed canonical value -> its JSON value in the Avro JSON encoding of `schema`."""

    def __init__(self, named: dict, fit_for) -> None:
        self.named = named
        self.fit_for = fit_for  # schema -> predicate: does a conformed value belong to that branch

    def write(self, value: Any, schema: Any, path: str) -> Any:
        if isinstance(schema, str):
            if schema in self.named:
                schema = self.named[schema]
            else:
                return self._primitive(value, schema, path)
        if isinstance(schema, list):
            if value is None and "null" in schema:
                return None
            for branch in schema:
                if branch != "null" and self.fit_for(branch)(value):
                    return {type_name(branch): self.write(value, branch, path)}
            _fail(path, f"{_describe(value)} fits no branch of the union")
        kind = schema["type"]
        if isinstance(kind, (list, dict)) or (isinstance(kind, str) and kind in self.named):
            return self.write(value, kind, path)
        if kind in ("record", "error"):
            if not isinstance(value, dict):
                _fail(path, f"expected a record, got {_describe(value)}")
            out = {}
            for field in schema["fields"]:
                name = field["name"]
                if name not in value:
                    _fail(child_pointer(path, name), f"required field {name!r} is missing")
                out[name] = self.write(value[name], field["type"], child_pointer(path, name))
            return out
        if kind == "enum":
            return value
        if kind == "array":
            return [self.write(item, schema["items"], child_pointer(path, index)) for index, item in enumerate(value)]
        if kind == "map":
            return {key: self.write(item, schema["values"], child_pointer(path, key)) for key, item in value.items()}
        raw = _raw_from_logical(value, schema, schema.get("logicalType"))
        if kind == "fixed":
            return bytes(raw).decode("latin-1")
        return self._primitive(raw, kind, path)

    def _primitive(self, value: Any, kind: str, path: str) -> Any:
        if kind in ("bytes", "fixed"):
            return bytes(value).decode("latin-1")
        if kind in ("float", "double") and isinstance(value, float) and not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return value


def _raw_from_logical(value: Any, schema: dict, logical: str | None) -> Any:
    kind = schema["type"]
    if logical == "decimal" and isinstance(value, Decimal):
        scale = int(schema.get("scale", 0))
        unscaled = int(value.scaleb(scale))
        if kind == "fixed":
            return unscaled.to_bytes(schema["size"], "big", signed=True)
        length = (unscaled + (unscaled < 0)).bit_length() // 8 + 1
        return unscaled.to_bytes(length, "big", signed=True)
    if logical == "date" and isinstance(value, dt.date):
        return (value - _EPOCH_DATE).days
    if logical in ("time-millis", "time-micros") and isinstance(value, dt.time):
        micros = ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
        return micros // 1000 if logical == "time-millis" else micros
    if logical and logical.startswith(("timestamp-", "local-timestamp-")) and isinstance(value, dt.datetime):
        delta = value - (_EPOCH_NAIVE if value.tzinfo is None else _EPOCH)
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        unit = logical.rsplit("-", 1)[1]
        return micros // 1000 if unit == "millis" else micros if unit == "micros" else micros * 1000
    if logical == "uuid" and isinstance(value, uuid.UUID):
        return value.bytes if kind == "fixed" else str(value)
    if logical == "duration" and isinstance(value, dict):
        return b"".join(int(value.get(key, 0)).to_bytes(4, "little")
                        for key in ("months", "days", "milliseconds"))
    return value
