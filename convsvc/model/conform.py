"""Conform a canonical value to a Shape: the typed value a schema-driven encoder needs.

One place holds the documented representations of typed values in schema-less formats (bytes as
base64 text, timestamps as RFC 3339 text or epoch numbers, decimals as numbers or numeric strings)
and the coercions ROBUST mode may make. Every change is reported at its JSON Pointer; a value that
cannot be made to fit is refused in both modes (docs/formats.md, "Typed values").

The walk (`_Conformer`; `conform_by_walk` alone) is the reference: it visits each node with its JSON
Pointer and reports each change and refusal there. Most values already fit their shape exactly, so
`conform` first runs a fast path compiled once per Shape (closures and generated record functions,
cached on the Shape) that builds no pointer and answers only "fits exactly, here is the value" (what
the walk returns with nothing to report). On anything else it gives up and the walk takes over, trying
the fast path again at each node it visits, so only the way to an issue is walked and issues, paths and
messages come from one place. Inside unions the fast path must know that a branch does not fit exactly
(the walk's strict trial fails), so it tells `_Misfit` (certain: the walk's strict trial fails at this
very node) from `_Slow` (not decided here: ask the walk). tests/test_conform_fast_path.py holds the two
to the same answers.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import struct
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from convsvc.model.codes import Code
from convsvc.model.context import Context
from convsvc.model.positions import child_pointer
from convsvc.model.shape import INTEGER_KINDS, INTEGER_RANGES, NO_DEFAULT, Field, Kind, Shape

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_EPOCH_DATE = dt.date(1970, 1, 1)
_UNIT_SECONDS = {"millis": 1_000, "micros": 1_000_000, "nanos": 1_000_000_000}
_MAX_SAFE_FLOAT_INT = 2**53
_FLOAT32_OVERFLOW = 3.4028235677973366e38  # FLT_MAX + half an ulp: from here on a double rounds to infinity


class Mismatch(Exception):
    """The value cannot take this shape (raised inside union branch trials and turned into an issue)."""


_METHODS = {kind: "_" + kind.name.lower() for kind in Kind}  # the walk's method per kind, where it has one


def conform(value: Any, shape: Shape | None, ctx: Context, path: str = "") -> Any:
    """`value` shaped by `shape`: ints range-checked, bytes/timestamps/decimals typed, records
    checked field by field. Raises InvalidInput (SCHEMA_VIOLATION / VALUE_OUT_OF_RANGE) when it
    cannot fit; reports coercions and losses with ctx.note (FRAGILE refuses those afterwards).
    Containers in the result are new (callers may change them in place); ANY values are the input's."""
    if shape is None:
        return value
    if ctx.limits.max_depth < 0:  # the root itself is too deep: the walk says so
        return _walk(_Conformer(ctx).value, value, shape, ctx, path)
    try:
        return (shape.conformer or compile_conformer(shape))(value, ctx.limits.max_depth)
    except _Bail:
        pass  # walked below, outside this handler: the walk's own errors do not chain to it
    return _walk(_Conformer(ctx).node, value, shape, ctx, path)  # the root's fast path was just tried


def conform_by_walk(value: Any, shape: Shape | None, ctx: Context, path: str = "") -> Any:
    """`conform` by the reference walk alone, every node visited with its JSON Pointer (what tests
    compare conform() with)."""
    if shape is None:
        return value
    return _walk(_Conformer(ctx, fast=False).value, value, shape, ctx, path)


def _walk(walk: Any, value: Any, shape: Shape, ctx: Context, path: str) -> Any:
    try:
        return walk(value, shape, path, 0)
    except Mismatch as mismatch:
        code, message, where = mismatch.args
        raise ctx.refuse(code, message, path=where) from None


class _Conformer:
    """The walk. With `fast`, each node it visits first tries its shape's fast path, so only the
    nodes on the way to an issue are walked (and given pointers); the rest is conformed as fast."""

    def __init__(self, ctx: Context, strict: bool = False, fast: bool = True) -> None:
        self.ctx = ctx
        self.robust = ctx.robust and not strict
        self.strict = strict  # union trials: no coercion, no report
        self.fast = fast

    def note(self, code: Code, message: str, path: str) -> None:
        if self.strict:
            raise Mismatch(code, message, path)
        self.ctx.note(code, message, path=path)

    def fail(self, path: str, message: str, code: Code = Code.SCHEMA_VIOLATION):
        raise Mismatch(code, message, path)

    def value(self, value: Any, shape: Shape, path: str, depth: int) -> Any:
        if depth > self.ctx.limits.max_depth:
            raise self.ctx.over_limit("max_depth", "nesting too deep", path=path)
        if self.fast:
            try:  # what the walk would return here with nothing to note, or _Bail: walk this node
                return (shape.conformer or compile_conformer(shape))(value, self.ctx.limits.max_depth - depth)
            except _Bail:
                pass
        return self.node(value, shape, path, depth)

    def child(self, value: Any, shape: Shape, parent: str, key: object, depth: int) -> Any:
        """value() of a container's member: its pointer is made only when the fast path leaves it to the walk."""
        if depth > self.ctx.limits.max_depth:
            raise self.ctx.over_limit("max_depth", "nesting too deep", path=child_pointer(parent, key))
        if self.fast:
            try:
                return (shape.conformer or compile_conformer(shape))(value, self.ctx.limits.max_depth - depth)
            except _Bail:
                pass
        return self.node(value, shape, child_pointer(parent, key), depth)

    def node(self, value: Any, shape: Shape, path: str, depth: int) -> Any:
        method = getattr(self, _METHODS[shape.kind], None)
        if method is None:
            return value
        return method(value, shape, path, depth)

    # -- scalars ---------------------------------------------------------------------------------

    def _any(self, value, shape, path, depth):
        return value

    def _null(self, value, shape, path, depth):
        if value is not None:
            self.fail(path, f"expected null, got {describe_value(value)}")
        return None

    def _bool(self, value, shape, path, depth):
        if isinstance(value, bool):
            return value
        if self.robust and isinstance(value, str) and value.lower() in ("true", "false"):
            self.note(Code.COERCED_STRING_TO_BOOL, f"string {value!r} read as a boolean", path)
            return value.lower() == "true"
        self.fail(path, f"expected a boolean, got {describe_value(value)}")

    def _int(self, value, shape, path, depth):
        if isinstance(value, bool):
            self.fail(path, f"expected an integer ({shape.kind.value}), got a boolean")
        if isinstance(value, float) and value.is_integer():
            self.note(Code.COERCED_FLOAT_TO_INT, f"{value!r} read as the integer {int(value)}", path)
            value = int(value)
        elif isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        elif isinstance(value, str) and self.robust:
            number = _parse_int(value)
            if number is None:
                self.fail(path, f"expected an integer ({shape.kind.value}), got {describe_value(value)}")
            self.note(Code.COERCED_STRING_TO_NUMBER, f"string {value!r} read as an integer", path)
            value = number
        if not isinstance(value, int):
            self.fail(path, f"expected an integer ({shape.kind.value}), got {describe_value(value)}")
        low, high = INTEGER_RANGES[shape.kind]
        if not low <= value <= high:
            self.fail(path, f"{value} does not fit {shape.kind.value} [{low}, {high}]", Code.VALUE_OUT_OF_RANGE)
        return value

    _int32 = _int64 = _uint32 = _uint64 = _int

    def _double(self, value, shape, path, depth):
        if isinstance(value, bool):
            self.fail(path, f"expected a number ({shape.kind.value}), got a boolean")
        if isinstance(value, float):
            return value
        if isinstance(value, int):
            if abs(value) > _MAX_SAFE_FLOAT_INT and int(float(value)) != value:
                if abs(value) > 1.7976931348623157e308:
                    self.fail(path, f"{value} does not fit a double", Code.VALUE_OUT_OF_RANGE)
                self.note(Code.PRECISION_LOST, f"integer {value} rounded to the double {float(value)!r}", path)
            return float(value)
        if isinstance(value, Decimal):
            result = float(value)
            if Decimal(repr(result)) != value:
                self.note(Code.PRECISION_LOST, f"decimal {value} rounded to the double {result!r}", path)
            return result
        if isinstance(value, str) and self.robust:
            number = _parse_float(value)
            if number is None:
                self.fail(path, f"expected a number ({shape.kind.value}), got {describe_value(value)}")
            self.note(Code.COERCED_STRING_TO_NUMBER, f"string {value!r} read as a number", path)
            return number
        self.fail(path, f"expected a number ({shape.kind.value}), got {describe_value(value)}")

    def _float(self, value, shape, path, depth):
        number = self._double(value, shape, path, depth)
        if math.isfinite(number):
            if abs(number) >= _FLOAT32_OVERFLOW:
                self.fail(path, f"{number!r} does not fit a 32-bit float", Code.VALUE_OUT_OF_RANGE)
            single = struct.unpack("<f", struct.pack("<f", number))[0]
            # Both the float32's exact double and its shortest decimal (0.1) name it faithfully.
            if single != number and shortest_float32(single) != number:
                self.note(Code.PRECISION_LOST, f"{number!r} rounded to the 32-bit float {single!r}", path)
                return single
        return number

    def _decimal(self, value, shape, path, depth):
        if isinstance(value, bool):
            self.fail(path, f"expected a decimal, got a boolean")
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                self.fail(path, f"{value!r} is not a decimal", Code.VALUE_OUT_OF_RANGE)
            number = Decimal(repr(value))  # the shortest text that reads back as this double
        elif isinstance(value, str):  # a documented representation: decimals travel as strings too
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                self.fail(path, f"expected a decimal, got the string {value!r}")
            if not number.is_finite():
                self.fail(path, f"{value!r} is not a decimal", Code.VALUE_OUT_OF_RANGE)
        else:
            self.fail(path, f"expected a decimal, got {describe_value(value)}")
        exponent = number.as_tuple().exponent
        if shape.scale is not None and isinstance(exponent, int) and -exponent > shape.scale:
            rounded = number.quantize(Decimal(1).scaleb(-shape.scale))
            self.note(Code.PRECISION_LOST, f"{number} rounded to scale {shape.scale}: {rounded}", path)
            number = rounded
        else:
            number = number.quantize(Decimal(1).scaleb(-shape.scale)) if shape.scale else number
        digits = len(number.as_tuple().digits)
        if shape.precision and digits > shape.precision:
            self.fail(path, f"{number} has more than {shape.precision} digits", Code.VALUE_OUT_OF_RANGE)
        return number

    def _string(self, value, shape, path, depth):
        if isinstance(value, str):
            return value
        if self.robust and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            text = repr(value) if isinstance(value, float) else str(value)
            self.note(Code.COERCED_NUMBER_TO_STRING, f"number {text} written as a string", path)
            return text
        self.fail(path, f"expected a string, got {describe_value(value)}")

    def _bytes(self, value, shape, path, depth):
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
        elif isinstance(value, str):  # the documented representation of bytes in text formats
            try:
                data = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                self.fail(path, "expected bytes as base64 text (RFC 4648, padded), got other text")
        else:
            self.fail(path, f"expected bytes, got {describe_value(value)}")
        if shape.kind is Kind.FIXED and len(data) != shape.size:
            self.fail(path, f"expected exactly {shape.size} bytes ({shape.describe()}), got {len(data)}")
        return data

    _fixed = _bytes

    def _enum(self, value, shape, path, depth):
        if isinstance(value, str):
            if value in shape.symbols:
                return value
            if self.robust:
                matches = [symbol for symbol in shape.symbols if symbol.lower() == value.lower()]
                if len(matches) == 1:
                    self.note(Code.COERCED_ENUM_CASE, f"{value!r} read as the symbol {matches[0]!r}", path)
                    return matches[0]
            self.fail(path, f"{value!r} is not one of {', '.join(shape.symbols)}")
        self.fail(path, f"expected an enum symbol, got {describe_value(value)}")

    def _uuid(self, value, shape, path, depth):
        if isinstance(value, uuid.UUID):
            return value
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError:
                pass
        self.fail(path, f"expected a UUID, got {describe_value(value)}")

    # -- dates and times -------------------------------------------------------------------------

    def _timestamp(self, value, shape, path, depth):
        local = shape.kind is Kind.LOCAL_TIMESTAMP
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, str):
            moment = _parse_datetime(value)
            if moment is None:
                self.fail(path, f"expected an RFC 3339 timestamp, got the string {value!r}")
        elif isinstance(value, int) and not isinstance(value, bool):
            per_second = _UNIT_SECONDS.get(shape.unit or "millis", 1_000)
            seconds, fraction = divmod(value, per_second)
            micros = fraction * 1_000_000 // per_second
            try:
                moment = _EPOCH + dt.timedelta(seconds=seconds, microseconds=micros)
            except OverflowError:
                self.fail(path, f"{value} {shape.unit} since the epoch is out of range", Code.VALUE_OUT_OF_RANGE)
            if local:
                moment = moment.replace(tzinfo=None)
        else:
            self.fail(path, f"expected a timestamp, got {describe_value(value)}")
        moment = self._cut_to_millis(moment, shape, path)
        if local:
            if moment.tzinfo is not None:
                self.fail(path, "expected a local timestamp (no offset), got one with an offset")
            return moment
        if moment.tzinfo is None:
            if not self.robust:
                self.fail(path, "timestamp has no offset (add Z or +hh:mm)")
            self.note(Code.TIMEZONE_ASSUMED, f"{moment.isoformat()} taken as UTC", path)
            moment = moment.replace(tzinfo=dt.timezone.utc)
        return moment

    _local_timestamp = _timestamp

    def _cut_to_millis(self, moment, shape, path):
        """A millis type cannot hold microseconds: cutting them is a reported loss."""
        if shape.unit == "millis" and moment.microsecond % 1000:
            self.note(Code.PRECISION_LOST, f"{moment.isoformat()} cut to milliseconds", path)
            return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        return moment

    def _date(self, value, shape, path, depth):
        if isinstance(value, dt.datetime):
            self.fail(path, "expected a date, got a timestamp")
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                self.fail(path, f"expected an ISO 8601 date (YYYY-MM-DD), got the string {value!r}")
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return _EPOCH_DATE + dt.timedelta(days=value)
            except OverflowError:
                self.fail(path, f"{value} days since the epoch is out of range", Code.VALUE_OUT_OF_RANGE)
        self.fail(path, f"expected a date, got {describe_value(value)}")

    def _time(self, value, shape, path, depth):
        if isinstance(value, dt.time):
            return self._cut_to_millis(value, shape, path)
        if isinstance(value, str):
            try:
                return self._cut_to_millis(dt.time.fromisoformat(value), shape, path)
            except ValueError:
                self.fail(path, f"expected an ISO 8601 time (hh:mm:ss[.ffffff]), got the string {value!r}")
        if isinstance(value, int) and not isinstance(value, bool):
            per_second = _UNIT_SECONDS.get(shape.unit or "millis", 1_000)
            micros = value * 1_000_000 // per_second
            if not 0 <= micros < 86_400_000_000:
                self.fail(path, f"{value} {shape.unit} is not a time of day", Code.VALUE_OUT_OF_RANGE)
            return (dt.datetime.min + dt.timedelta(microseconds=micros)).time()
        self.fail(path, f"expected a time of day, got {describe_value(value)}")

    # -- containers ------------------------------------------------------------------------------

    def _array(self, value, shape, path, depth):
        if not isinstance(value, (list, tuple)):
            if not self.robust:
                self.fail(path, f"expected an array, got {describe_value(value)}")
            self.note(Code.COERCED_TO_ARRAY, f"{describe_value(value)} wrapped in a one-element array", path)
            value = [value]
        items = shape.items
        return [self.child(item, items, path, index, depth + 1) for index, item in enumerate(value)]

    def _map(self, value, shape, path, depth):
        if not isinstance(value, dict):
            self.fail(path, f"expected a map (object), got {describe_value(value)}")
        return {key: self.child(item, shape.items, path, key, depth + 1) for key, item in value.items()}

    def _record(self, value, shape, path, depth):
        if not isinstance(value, dict):
            self.fail(path, f"expected a record ({shape.describe()}), got {describe_value(value)}")
        out = {}
        seen = set()
        for field in shape.fields:
            key = _present_key(value, field)
            if key is None:
                out_value = self._missing(field, child_pointer(path, field.name))
                if out_value is not _ABSENT:
                    out[field.name] = out_value
                continue
            seen.add(key)
            out[field.name] = self.child(value[key], field.shape, path, field.name, depth + 1)
        for key in value:
            if key not in seen:
                self.note(Code.UNKNOWN_FIELD_DROPPED, f"field {key!r} is not in {shape.describe()}",
                          child_pointer(path, key))
        return out

    def _missing(self, field: Field, path: str) -> Any:
        if field.default is None and field.shape.nullable:
            return None  # absent and null say the same of an optional field (proto3 presence, Avro ["null", T])
        if field.default is not NO_DEFAULT:
            self.note(Code.DEFAULT_FILLED, f"missing field {field.name!r} filled with its default "
                      f"{field.default!r}", path)
            return self.value(field.default, field.shape, path, 0)
        if field.required:
            self.fail(path, f"required field {field.name!r} is missing")
        return _ABSENT

    def _union(self, value, shape, path, depth):
        if value is None:
            if shape.nullable:
                return None
            self.fail(path, f"null is not allowed by {shape.describe()}")
        branches = [branch for branch in shape.branches if branch.kind is not Kind.NULL]
        strict = _Conformer(self.ctx, strict=True, fast=self.fast)
        for branch in branches:  # the first branch the value fits exactly, as Avro writers choose
            try:
                return strict.value(value, branch, path, depth)
            except Mismatch:
                continue
        if self.robust or len(branches) == 1:
            for branch in branches:  # then the first one it fits with reported coercions
                try:
                    return self.value(value, branch, path, depth)
                except Mismatch:
                    continue
        self.fail(path, f"{describe_value(value)} fits no branch of {shape.describe()}")


_ABSENT = object()


def _present_key(value: dict, field: Field) -> str | None:
    if field.name in value:
        return field.name
    if field.json_name and field.json_name in value:
        return field.json_name
    for alias in field.aliases:
        if alias in value:
            return alias
    return None


def describe_value(value: Any) -> str:
    """A value as messages name it: `the string 'x'`, `an array`, `null`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return f"the integer {value}" if abs(value) < 10**12 else "an integer"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) <= 40 else "a string"
    if isinstance(value, (bytes, bytearray)):
        return "bytes"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def shortest_float32(single: float) -> float:
    """The shortest decimal that reads back as this float32 (0.10000000149011612 -> 0.1): how a float32
    is read from Avro and Protobuf, so that JSON shows 0.1 as Java's and Go's ProtoJSON do."""
    packed = struct.pack("<f", single)
    for digits in range(1, 10):
        candidate = float(f"{single:.{digits}g}")
        try:
            if struct.pack("<f", candidate) == packed:
                return candidate
        except OverflowError:  # rounded up past the largest float32 (3.403e+38): more digits
            continue
    return single


def _parse_int(text: str) -> int | None:
    text = text.strip()
    if not text or len(text) > 1000:
        return None
    try:
        return int(text, 10)
    except ValueError:
        return None


def _parse_float(text: str) -> float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _parse_datetime(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        return None


# -- the fast path: compiled once per Shape, for values that already fit ------------------------------
#
# A compiled conformer is `fast(value, budget) -> value`. `budget` is how many more levels may nest under
# this node (max_depth minus its depth); containers give up (_Slow) rather than go below zero, and the walk
# then raises the limit with its path. A conformer returns only what the walk returns with nothing to note;
# it raises _Misfit only where the walk's strict trial (a union branch) fails at the same node, visiting
# nodes in the walk's order, and _Slow for everything it leaves to the walk.


class _Bail(Exception):
    """The fast path stops here; the walk takes this node over."""


class _Misfit(_Bail):
    """Certainly no exact fit: the walk would note or refuse here (a union tries its next branch)."""


class _Slow(_Bail):
    """Not decided by the fast path (rare types, depth near the limit): the walk decides."""


_STRICT = _Conformer(Context(), strict=True, fast=False)  # strict: never notes, holds no per-conversion state
_IDENTITY_KINDS = frozenset({Kind.ANY, Kind.DURATION, Kind.CALENDAR_DURATION})  # the walk passes them through
# Kinds whose values of exactly this Python type are returned unchanged by the walk, with nothing to note.
_SAME_TYPE = {Kind.STRING: str, Kind.BOOL: bool, Kind.DOUBLE: float}
_FILL_NONE, _FILL_REPORTED, _LEAVE_OUT = 0, 1, 2  # what the walk does with a missing field (see _missing)


def compile_conformer(shape: Shape) -> Any:
    """The fast path of `shape` (cached on it and on every shape under it)."""
    memo: dict[int, Any] = {}
    compiled = _compile(shape, memo)
    for node, conformer in memo.values():
        node.conformer = conformer  # published once complete: another thread never sees half a record
    return compiled


def _compile(shape: Shape, memo: dict[int, Any]) -> Any:
    if shape.conformer is not None:
        return shape.conformer
    if id(shape) in memo:
        return memo[id(shape)][1]
    kind = shape.kind
    if kind is Kind.RECORD:
        return _compile_record(shape, memo)  # registers itself first: records may contain themselves
    if kind in _IDENTITY_KINDS:
        compiled = _identity
    elif kind is Kind.NULL:
        compiled = _null
    elif kind is Kind.BOOL:
        compiled = _bool
    elif kind in INTEGER_KINDS:
        compiled = _integer(shape)
    elif kind is Kind.DOUBLE:
        compiled = _double(shape)
    elif kind is Kind.STRING:
        compiled = _string(shape)
    elif kind is Kind.ENUM:
        compiled = _enum(shape)
    elif kind is Kind.BYTES or kind is Kind.FIXED:
        compiled = _bytes(shape)
    elif kind is Kind.ARRAY:
        compiled = _array(shape, memo)
    elif kind is Kind.MAP:
        compiled = _map(shape, memo)
    elif kind is Kind.UNION:
        compiled = _union(shape, memo)
    else:  # decimals, floats, dates and times: parsed and checked by the walk's own code
        compiled = _by_strict_walk(shape)
    memo[id(shape)] = (shape, compiled)
    return compiled


def _identity(value, budget):
    return value


def _null(value, budget):
    if value is None:
        return None
    raise _Misfit


def _bool(value, budget):
    if value.__class__ is bool:
        return value
    raise _Misfit  # the walk refuses, or notes a string true/false


def _by_strict_walk(shape: Shape) -> Any:
    """The walk's own method in strict mode: exact by construction, for the kinds not worth a copy."""
    method = getattr(_STRICT, _METHODS[shape.kind], None)
    if method is None:  # a kind the walk passes through
        return _identity

    def by_strict_walk(value, budget):
        try:
            return method(value, shape, "", 0)
        except Mismatch:
            raise _Misfit from None
        except Exception:  # e.g. InvalidOperation from an odd Decimal: the walk raises it with its path
            raise _Slow from None

    return by_strict_walk


def _integer(shape: Shape) -> Any:
    low, high = INTEGER_RANGES[shape.kind]
    other = _by_strict_walk(shape)

    def integer(value, budget):
        if value.__class__ is int:
            if low <= value <= high:
                return value
            raise _Misfit
        return other(value, budget)

    return integer


def _double(shape: Shape) -> Any:
    other = _by_strict_walk(shape)

    def double(value, budget):
        cls = value.__class__
        if cls is float:
            return value
        if cls is int and -_MAX_SAFE_FLOAT_INT <= value <= _MAX_SAFE_FLOAT_INT:
            return float(value)
        return other(value, budget)

    return double


def _string(shape: Shape) -> Any:
    other = _by_strict_walk(shape)

    def string(value, budget):
        if value.__class__ is str:
            return value
        return other(value, budget)

    return string


def _enum(shape: Shape) -> Any:
    symbols = frozenset(shape.symbols)
    other = _by_strict_walk(shape)

    def enum(value, budget):
        if value.__class__ is str and value in symbols:
            return value
        return other(value, budget)

    return enum


def _bytes(shape: Shape) -> Any:
    size = shape.size if shape.kind is Kind.FIXED else None
    other = _by_strict_walk(shape)

    def bytes_(value, budget):
        if value.__class__ is bytes and (size is None or len(value) == size):
            return value
        return other(value, budget)

    return bytes_


def _same_type(shape: Shape) -> Any:
    """The Python type whose values the walk returns unchanged for this shape (object: any), or None."""
    if shape.kind in _IDENTITY_KINDS:
        return object
    return _SAME_TYPE.get(shape.kind)


def _array(shape: Shape, memo: dict[int, Any]) -> Any:
    item_shape = shape.items
    item = _compile(item_shape, memo)
    same = _same_type(item_shape)

    def array(value, budget):
        if value.__class__ is not list and not isinstance(value, (list, tuple)):
            raise _Misfit  # the walk refuses, or wraps it with a note
        if not value:
            return []
        budget -= 1
        if budget < 0:
            raise _Slow
        if same is not None:
            if same is object:
                return list(value)
            for element in value:
                if element.__class__ is not same:
                    break
            else:
                return list(value)
        return [item(element, budget) for element in value]

    return array


def _map(shape: Shape, memo: dict[int, Any]) -> Any:
    item_shape = shape.items
    item = _compile(item_shape, memo)
    same = _same_type(item_shape)

    def map_(value, budget):
        if not isinstance(value, dict):
            raise _Misfit
        if not value:
            return {}
        budget -= 1
        if budget < 0:
            raise _Slow
        if same is not None:
            if same is object:
                return dict(value)
            for element in value.values():
                if element.__class__ is not same:
                    break
            else:
                return dict(value)
        return {key: item(element, budget) for key, element in value.items()}

    return map_


def _union(shape: Shape, memo: dict[int, Any]) -> Any:
    nullable = shape.nullable
    branches = tuple(_compile(branch, memo) for branch in shape.branches if branch.kind is not Kind.NULL)

    if len(branches) == 1:  # ["null", T]: T's misfit is the union's (the walk's retry of T is strict too)
        (only,) = branches

        def optional(value, budget):
            if value is None:
                if nullable:
                    return None
                raise _Misfit
            return only(value, budget)

        return optional

    def union(value, budget):
        if value is None:
            if nullable:
                return None
            raise _Misfit
        for branch in branches:  # the first branch the value fits exactly, as the walk's strict trials
            try:
                return branch(value, budget)
            except _Misfit:
                continue
        raise _Misfit

    return union


def _compile_record(shape: Shape, memo: dict[int, Any]) -> Any:
    """A function written for this record (as dataclasses writes __init__): one straight block per field,
    in the walk's order. Names, keys and conformers are the generated module's globals (K0, C0, ...),
    never text in the source, so no schema text is ever executed."""
    keys: list[str] = []
    for field in shape.fields:
        keys += {field.name, *((field.json_name,) if field.json_name else ()), *field.aliases}
    if len(keys) != len(set(keys)):  # two fields answer to one key: counting found keys would mislead
        memo[id(shape)] = (shape, _ambiguous_record)
        return _ambiguous_record
    at_limit = []  # per field: (keys it answers to, what a missing field does)
    namespace: dict[str, Any] = {"_Misfit": _Misfit, "_Slow": _Slow, "_at_limit": _record_at_limit,
                                 "FIELDS": at_limit}
    lines = ["def record(value, budget):",
             "    if not isinstance(value, dict):",
             "        raise _Misfit",
             "    budget -= 1",
             "    if budget < 0:",
             "        return _at_limit(value, FIELDS)",
             "    out = {}",
             "    found = 0"]
    for number, field in enumerate(shape.fields):
        name = f"K{number}"
        namespace[name] = field.name
        candidates = [name]
        for other, key in enumerate(((field.json_name,) if field.json_name else ()) + tuple(field.aliases)):
            namespace[f"K{number}_{other}"] = key  # json_name, then aliases: the walk's _present_key
            candidates.append(f"K{number}_{other}")
        take = _field_expression(field.shape, number, namespace)
        for position, candidate in enumerate(candidates):
            lines += [f"    {'if' if position == 0 else 'elif'} {candidate} in value:",
                      "        found += 1",
                      f"        item = value[{candidate}]",
                      f"        out[{name}] = {take}"]
        if field.default is None and field.shape.nullable:
            lines += ["    else:", f"        out[{name}] = None"]  # absent and null say the same here
            missing = _FILL_NONE
        elif field.default is not NO_DEFAULT or field.required:
            lines += ["    else:", "        raise _Misfit"]  # the walk notes the default, or refuses
            missing = _FILL_REPORTED
        else:
            missing = _LEAVE_OUT
        at_limit.append(([namespace[candidate] for candidate in candidates], field.name, missing))
    lines += ["    if found != len(value):",
              "        raise _Misfit",  # a field the shape does not define: the walk notes it dropped
              "    return out"]
    exec(compile("\n".join(lines), f"<conformer of {shape.describe()}>", "exec"), namespace)  # noqa: S102
    record = namespace["record"]
    memo[id(shape)] = (shape, record)  # before the fields: a record may contain itself
    for number, field in enumerate(shape.fields):
        namespace[f"C{number}"] = _compile(field.shape, memo)
    return record


def _field_expression(shape: Shape, number: int, namespace: dict[str, Any]) -> str:
    """The value one field takes: the item itself where the walk would return it unchanged, without a
    call; else the call of its conformer C<number> (bound once the record is registered)."""
    same = _same_type(shape)
    if same is object:
        return "item"
    if same is not None:
        namespace[f"T{number}"] = same
        return f"item if item.__class__ is T{number} else C{number}(item, budget)"
    if shape.kind in INTEGER_KINDS:
        namespace[f"L{number}"], namespace[f"H{number}"] = INTEGER_RANGES[shape.kind]
        return f"item if item.__class__ is int and L{number} <= item <= H{number} else C{number}(item, budget)"
    return f"C{number}(item, budget)"


def _ambiguous_record(value, budget):
    raise _Slow


def _record_at_limit(value: dict, fields: list) -> dict:
    """A record whose fields would nest past max_depth: the walk raises the limit at the first field
    present; up to there, and when none is, the same answers as the record's own conformer."""
    out = {}
    for keys, name, missing in fields:
        if any(key in value for key in keys):
            raise _Slow
        if missing == _FILL_NONE:
            out[name] = None
        elif missing == _FILL_REPORTED:
            raise _Misfit
    if value:
        raise _Misfit  # only fields the shape does not define
    return out
