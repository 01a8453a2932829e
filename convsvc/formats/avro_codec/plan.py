"""Everything the codec derives once per Avro schema: scanner, value adapters, fingerprint.

fastavro handles most logical types itself. What it lacks (duration, uuid on fixed, the *-nanos
timestamps), what it does silently (truncating sub-millisecond times, rounding doubles into 32-bit
floats) and where it guesses (the branch of a union) are done by adapters compiled here: walks that
visit only the parts of a value whose schema needs them, and are skipped when none does.
"""

from __future__ import annotations

import copy
import datetime as dt
import struct
import threading
import uuid
from collections import OrderedDict
from decimal import Decimal
from typing import Any, Callable

import fastavro

from convsvc.formats.avro_codec import scan
from convsvc.model import Code, Context, ConversionError, Mode
from convsvc.model.conform import shortest_float32
from convsvc.model.positions import child_pointer
from convsvc.schemas.avro import canonical_form, crc64_fingerprint

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_NAMED = ("record", "error", "enum", "fixed")
_PRIMITIVE_NAMES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
_U32 = 2**32

Adapter = Callable[[Any, str, Context], Any]  # (value, JSON Pointer, ctx) -> value


class Plan:
    """One writer (or reader) schema, prepared: parsed form, scanner, adapters, fingerprint."""

    def __init__(self, parsed: Any) -> None:
        self.parsed = parsed
        self.named: dict[str, Any] = parsed.get("__named_schemas", {}) if isinstance(parsed, dict) else {}
        if isinstance(parsed, (list, str)) or not self.named:  # a union or primitive at the root
            self.named = _collect_named(parsed)
        self.scanner = scan.Compiler(self.named).step(parsed)
        adapters = _Adapters(self.named)
        self.to_canonical: Adapter | None = adapters.decoder(parsed)
        self.to_datum: Adapter | None = _Adapters(self.named).encoder(parsed)
        self._fingerprint: bytes | None = None
        self._as_reader: Any = None

    @property
    def fingerprint(self) -> bytes:
        """CRC-64-AVRO of the Parsing Canonical Form, little-endian (single-object encoding)."""
        if self._fingerprint is None:
            self._fingerprint = crc64_fingerprint(_strip_parsed(self.parsed))
        return self._fingerprint

    @property
    def as_reader(self) -> Any:
        """The parsed schema to hand fastavro as a reader schema. fastavro fills a missing field
        with the default's raw JSON (bytes stay text, a date default stays an int): here each
        default is replaced once by its canonical value, which fastavro then hands out as is."""
        if self._as_reader is None:
            self._as_reader = _with_canonical_defaults(self.parsed, self.named)
        return self._as_reader

    def canonical_form(self) -> str:
        return canonical_form(_strip_parsed(self.parsed))


_plans: OrderedDict[str, Plan] = OrderedDict()
_lock = threading.Lock()


def plan_for(key: str, parsed: Any) -> Plan:
    """The Plan of a schema, cached by its content key (schemas are immutable by content)."""
    with _lock:
        plan = _plans.get(key)
        if plan is not None:
            _plans.move_to_end(key)
            return plan
    plan = Plan(parsed)
    with _lock:
        _plans[key] = plan
        while len(_plans) > 1024:
            _plans.popitem(last=False)
    return plan


def _with_canonical_defaults(parsed: Any, named: dict) -> Any:
    from convsvc.formats.avro_codec.json_encoding import Mismatch, Reader, _default_as_json

    copied = copy.deepcopy(parsed)
    table = copied.get("__named_schemas", {}) if isinstance(copied, dict) else {}
    records = [node for node in table.values() if node.get("type") in ("record", "error")]
    if not table:
        records = [node for node in _collect_named(copied).values() if node.get("type") in ("record", "error")]
    reader = Reader(named, Context(mode=Mode.ROBUST))
    for record in records:
        for field in record["fields"]:
            if "default" in field:
                try:
                    field["default"] = reader.read(_default_as_json(field["default"], field["type"], named),
                                                   field["type"], "")
                except (Mismatch, ConversionError):
                    pass  # an invalid default: fastavro refuses it when (and if) it is needed
    return copied


def _strip_parsed(parsed: Any) -> Any:
    if isinstance(parsed, dict):
        return {key: value for key, value in parsed.items() if not key.startswith("__")}
    return parsed


def _collect_named(schema: Any, out: dict | None = None) -> dict[str, Any]:
    out = {} if out is None else out
    if isinstance(schema, list):
        for branch in schema:
            _collect_named(branch, out)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in _NAMED and "name" in schema:
            if schema["name"] in out:
                return out
            out[schema["name"]] = schema
        for field in schema.get("fields", ()):
            _collect_named(field["type"], out)
        for key in ("items", "values"):
            if key in schema:
                _collect_named(schema[key], out)
        if isinstance(kind, (dict, list)):
            _collect_named(kind, out)
    return out


def type_name(schema: Any) -> str:
    """The name fastavro's (name, value) union notation and the Avro JSON encoding use for a branch."""
    if isinstance(schema, str):
        return schema
    kind = schema["type"]
    if kind in _NAMED:
        return schema["name"]
    return kind if isinstance(kind, str) else type_name(kind)


# -- value adapters --------------------------------------------------------------------------------

class _Adapters:
    """Compiles the decode (fastavro value -> canonical) and encode (conformed -> fastavro datum)
    walks. A node returns None when nothing under it needs adapting, so most walks vanish."""

    def __init__(self, named: dict[str, Any]) -> None:
        self.named = named
        self.built: dict[tuple[str, str], Adapter | None] = {}
        self.pending: set[tuple[str, str]] = set()

    # The same compiler serves both directions; `direction` picks the leaf conversions.
    def decoder(self, schema: Any) -> Adapter | None:
        return self._node(schema, "decode")

    def encoder(self, schema: Any) -> Adapter | None:
        return self._node(schema, "encode")

    def _node(self, schema: Any, direction: str) -> Adapter | None:
        if isinstance(schema, str):
            if schema in _PRIMITIVE_NAMES:  # float32 range and precision on the way in are conform()'s
                return _float32_to_canonical if schema == "float" and direction == "decode" else None
            target = self.named[schema]
            if target["type"] in ("record", "error"):
                return self._named(schema, target, direction)
            return self._node(target, direction)  # enum, fixed: leaves
        if isinstance(schema, list):
            return self._union(schema, direction)
        kind = schema["type"]
        if isinstance(kind, (dict, list)):
            return self._node(kind, direction)
        logical = schema.get("logicalType")
        leaf = _LEAVES.get((logical, kind, direction))
        if leaf is not None:
            if kind == "fixed":
                leaf = _sized(leaf, schema["size"], logical)
            return leaf
        if kind in _NAMED:
            return self._named(schema["name"], schema, direction)
        if kind == "array":
            item = self._node(schema["items"], direction)
            return None if item is None else _array(item)
        if kind == "map":
            value = self._node(schema["values"], direction)
            return None if value is None else _map(value)
        if kind in _PRIMITIVE_NAMES:
            return self._node(kind, direction)
        return None

    def _named(self, name: str, schema: Any, direction: str) -> Adapter | None:
        key = (name, direction)
        if key in self.built:
            return self.built[key]
        if key in self.pending:  # recursive: assume it needs a walk, bind late
            built = self.built

            def late(value, path, ctx):
                adapter = built[key]
                return value if adapter is None else adapter(value, path, ctx)
            return late
        if schema["type"] not in ("record", "error"):
            self.built[key] = None
            return None
        self.pending.add(key)
        fields = [(field["name"], self._node(field["type"], direction)) for field in schema["fields"]]
        self.pending.discard(key)
        active = tuple((name_, adapter) for name_, adapter in fields if adapter is not None)
        self.built[key] = _record(active) if active else None
        return self.built[key]

    def _union(self, branches: list, direction: str) -> Adapter | None:
        adapters = [self._node(branch, direction) for branch in branches]
        if direction == "decode":
            if any(type_name(branch) == "double" for branch in branches):
                # fastavro hands back a Python float for either branch: a float32 cannot be told apart
                adapters = [None if type_name(branch) == "float" else adapter
                            for branch, adapter in zip(branches, adapters)]
            if all(adapter is None for adapter in adapters):
                return None
            matchers = [(_raw_matcher(branch, self.named), adapter) for branch, adapter in zip(branches, adapters)]
            return _decode_union(matchers)
        non_null = [branch for branch in branches if branch != "null"]
        names = [type_name(branch) for branch in branches]
        taggable = len(non_null) > 1 and len(set(names)) == len(names)
        if not taggable and all(adapter is None for adapter in adapters):
            return None
        fits = [_Fit(self.named).compile(branch) for branch in branches]
        return _encode_union(list(zip(names, fits, adapters)), taggable)


def _record(fields: tuple[tuple[str, Adapter], ...]) -> Adapter:
    def adapt(value, path, ctx):
        if not isinstance(value, dict):
            return value
        out = dict(value)
        for name, adapter in fields:
            if name in out:
                out[name] = adapter(out[name], child_pointer(path, name), ctx)
        return out
    return adapt


def _array(item: Adapter) -> Adapter:
    def adapt(value, path, ctx):
        if not isinstance(value, list):
            return value
        return [item(element, child_pointer(path, index), ctx) for index, element in enumerate(value)]
    return adapt


def _map(item: Adapter) -> Adapter:
    def adapt(value, path, ctx):
        if not isinstance(value, dict):
            return value
        return {key: item(element, child_pointer(path, key), ctx) for key, element in value.items()}
    return adapt


def _decode_union(matchers: list) -> Adapter:
    def adapt(value, path, ctx):
        for matches, adapter in matchers:
            if matches(value):
                return value if adapter is None else adapter(value, path, ctx)
        return value
    return adapt


def _encode_union(branches: list, taggable: bool) -> Adapter:
    def adapt(value, path, ctx):
        if value is None:
            return None
        for name, fits, adapter in branches:
            if fits(value):
                datum = value if adapter is None else adapter(value, path, ctx)
                return (name, datum) if taggable else datum
        return value  # fastavro reports what fits nowhere
    return adapt


def _raw_matcher(schema: Any, named: dict) -> Callable[[Any], bool]:
    """Does a value fastavro decoded come from this branch? (Decides only the adapted branches.)"""
    if isinstance(schema, str) and schema in named:
        schema = named[schema]
    if schema == "float" or (isinstance(schema, dict) and schema["type"] == "float"):
        return lambda value: value.__class__ is float  # only asked when no double branch shares the union
    if isinstance(schema, dict):
        kind, logical = schema["type"], schema.get("logicalType")
        if kind == "fixed":
            size = schema["size"]
            return lambda value: isinstance(value, bytes) and len(value) == size
        if kind == "long" and logical in ("timestamp-nanos", "local-timestamp-nanos"):
            return lambda value: isinstance(value, int) and not isinstance(value, bool)
    return lambda value: False


# -- leaves ------------------------------------------------------------------------------------------

def _sized(leaf: Adapter, size: int, logical: str) -> Adapter:
    expected = {"duration": 12, "uuid": 16}[logical]
    if size != expected:  # the spec asks for this size; another size is just a fixed
        return lambda value, path, ctx: value
    return leaf


def _duration_to_canonical(value, path, ctx):
    if not isinstance(value, bytes):
        return value
    months, days, millis = struct.unpack("<III", value)
    return {"months": months, "days": days, "milliseconds": millis}


def _duration_to_datum(value, path, ctx):
    if isinstance(value, (bytes, bytearray)):
        if len(value) != 12:
            raise ctx.refuse(Code.SCHEMA_VIOLATION, "a duration is 12 bytes", path=path)
        return bytes(value)
    if not isinstance(value, dict) or set(value) - {"months", "days", "milliseconds"}:
        raise ctx.refuse(Code.SCHEMA_VIOLATION, 'expected a duration {"months", "days", "milliseconds"}',
                         path=path)
    parts = []
    for key in ("months", "days", "milliseconds"):
        part = value.get(key, 0)
        if isinstance(part, str) and ctx.robust and part.strip().isdigit():
            ctx.note(Code.COERCED_STRING_TO_NUMBER, f"string {part!r} read as an integer", path=child_pointer(path, key))
            part = int(part)
        if isinstance(part, float) and part.is_integer():
            part = int(part)
        if isinstance(part, bool) or not isinstance(part, int):
            raise ctx.refuse(Code.SCHEMA_VIOLATION, f"duration {key} must be an integer",
                             path=child_pointer(path, key))
        if not 0 <= part < _U32:
            raise ctx.refuse(Code.VALUE_OUT_OF_RANGE, f"duration {key} must be in [0, 2^32)",
                             path=child_pointer(path, key))
        parts.append(part)
    return struct.pack("<III", *parts)


def _float32_to_canonical(value, path, ctx):
    return shortest_float32(value) if value.__class__ is float else value


def _uuid_to_canonical(value, path, ctx):
    return uuid.UUID(bytes=value) if isinstance(value, bytes) else value


def _uuid_to_datum(value, path, ctx):
    return value.bytes if isinstance(value, uuid.UUID) else value


def _nanos_to_canonical(local: bool) -> Adapter:
    epoch = _EPOCH_NAIVE if local else _EPOCH

    def adapt(value, path, ctx):
        if isinstance(value, bool) or not isinstance(value, int):
            return value
        micros, rest = divmod(value, 1000)
        if rest:
            ctx.note(Code.PRECISION_LOST, f"{value} ns since the epoch cut to microseconds", path=path)
        try:
            return epoch + dt.timedelta(microseconds=micros)
        except OverflowError:
            raise ctx.refuse(Code.VALUE_OUT_OF_RANGE, f"{value} ns since the epoch is outside years 1-9999",
                             path=path) from None
    return adapt


def _nanos_to_datum(local: bool) -> Adapter:
    epoch = _EPOCH_NAIVE if local else _EPOCH

    def adapt(value, path, ctx):
        if not isinstance(value, dt.datetime):
            return value
        if (value.tzinfo is None) != local:
            return value  # conform refuses a mismatch before this
        delta = value - epoch
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    return adapt


def _millis_truncation(value, path, ctx):
    if isinstance(value, (dt.datetime, dt.time)) and value.microsecond % 1000:
        ctx.note(Code.PRECISION_LOST, f"{value.isoformat()} cut to milliseconds", path=path)
        return value.replace(microsecond=value.microsecond - value.microsecond % 1000)
    return value


_LEAVES: dict[tuple[Any, str, str], Adapter] = {
    ("duration", "fixed", "decode"): _duration_to_canonical,
    ("duration", "fixed", "encode"): _duration_to_datum,
    ("uuid", "fixed", "decode"): _uuid_to_canonical,
    ("uuid", "fixed", "encode"): _uuid_to_datum,
    ("timestamp-nanos", "long", "decode"): _nanos_to_canonical(False),
    ("timestamp-nanos", "long", "encode"): _nanos_to_datum(False),
    ("local-timestamp-nanos", "long", "decode"): _nanos_to_canonical(True),
    ("local-timestamp-nanos", "long", "encode"): _nanos_to_datum(True),
    ("time-millis", "int", "encode"): _millis_truncation,
    ("timestamp-millis", "long", "encode"): _millis_truncation,
    ("local-timestamp-millis", "long", "encode"): _millis_truncation,
}


# -- which branch a conformed value belongs to -----------------------------------------------------

class _Fit:
    """Strict type tests on conformed values (conform picked the branch; this finds it again)."""

    def __init__(self, named: dict) -> None:
        self.named = named
        self.cache: dict[str, Callable[[Any], bool]] = {}

    def compile(self, schema: Any) -> Callable[[Any], bool]:
        if isinstance(schema, str):
            if schema in _SIMPLE_FITS:
                return _SIMPLE_FITS[schema]
            if schema in self.cache:
                return lambda value: self.cache[schema](value)
            return self._named(self.named[schema])
        if isinstance(schema, list):
            fits = [self.compile(branch) for branch in schema]
            return lambda value: any(fit(value) for fit in fits)
        kind, logical = schema["type"], schema.get("logicalType")
        if isinstance(kind, (dict, list)):
            return self.compile(kind)
        logical_fit = _LOGICAL_FITS.get((logical, kind))
        if logical_fit is not None:
            if kind == "fixed" and logical != "decimal" and schema["size"] != {"duration": 12, "uuid": 16}[logical]:
                logical_fit = None
            else:
                return logical_fit
        if kind in _NAMED:
            return self._named(schema)
        if kind == "array":
            return lambda value: isinstance(value, list)
        if kind == "map":
            return lambda value: isinstance(value, dict)
        return _SIMPLE_FITS.get(kind, lambda value: False)

    def _named(self, schema: dict) -> Callable[[Any], bool]:
        name, kind = schema["name"], schema["type"]
        if kind == "enum":
            symbols = frozenset(schema["symbols"])
            fit = lambda value: isinstance(value, str) and value in symbols  # noqa: E731
        elif kind == "fixed":
            size = schema["size"]
            logical = _LOGICAL_FITS.get((schema.get("logicalType"), "fixed"))
            fit = logical or (lambda value: isinstance(value, bytes) and len(value) == size)
        else:
            names = frozenset(field["name"] for field in schema["fields"])
            fit = lambda value: isinstance(value, dict) and value.keys() <= names  # noqa: E731
        self.cache[name] = fit
        return fit


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


_SIMPLE_FITS: dict[str, Callable[[Any], bool]] = {
    "null": lambda value: value is None,
    "boolean": lambda value: isinstance(value, bool),
    "int": lambda value: _is_int(value) and -(2**31) <= value < 2**31,
    "long": lambda value: _is_int(value) and -(2**63) <= value < 2**63,
    "float": lambda value: isinstance(value, float),
    "double": lambda value: isinstance(value, float),
    "string": lambda value: isinstance(value, str),
    "bytes": lambda value: isinstance(value, (bytes, bytearray)),
}
_aware = lambda value: isinstance(value, dt.datetime) and value.tzinfo is not None  # noqa: E731
_naive = lambda value: isinstance(value, dt.datetime) and value.tzinfo is None  # noqa: E731
_LOGICAL_FITS: dict[tuple[Any, str], Callable[[Any], bool]] = {
    ("decimal", "bytes"): lambda value: isinstance(value, Decimal),
    ("decimal", "fixed"): lambda value: isinstance(value, Decimal),
    ("uuid", "string"): lambda value: isinstance(value, uuid.UUID),
    ("uuid", "fixed"): lambda value: isinstance(value, uuid.UUID),
    ("date", "int"): lambda value: isinstance(value, dt.date) and not isinstance(value, dt.datetime),
    ("time-millis", "int"): lambda value: isinstance(value, dt.time),
    ("time-micros", "long"): lambda value: isinstance(value, dt.time),
    ("timestamp-millis", "long"): _aware,
    ("timestamp-micros", "long"): _aware,
    ("timestamp-nanos", "long"): _aware,
    ("local-timestamp-millis", "long"): _naive,
    ("local-timestamp-micros", "long"): _naive,
    ("local-timestamp-nanos", "long"): _naive,
    ("duration", "fixed"): lambda value: isinstance(value, dict),
}


def parse(schema_json: Any) -> Any:
    """fastavro's parsed form of schema JSON (for tests and the reader-schema seam)."""
    return fastavro.parse_schema(schema_json)
