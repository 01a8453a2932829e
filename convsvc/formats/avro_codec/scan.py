"""A validating pass over Avro binary: strict spec checks, exact byte offsets, bounded work and memory.

fastavro's C reader is fast but trusts its input: it recurses without a depth check (a recursive
schema and ~100 kB of input crash the process), loops over 2^62 zero-byte array items, reads any
byte as a boolean, reads 2^40 as an `int` and lets varints wrap past 10 bytes. This pass, compiled
once per writer schema into closures, checks what fastavro does not, before fastavro builds values.
It allocates nothing per item (strings are checked in place), so its memory is O(depth).
"""

from __future__ import annotations

from typing import Any, Callable

_INT32 = (-(2**31), 2**31 - 1)


class Malformed(Exception):
    """The bytes are not a valid encoding of the writer schema: (message, offset)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class Truncated(Malformed):
    """The data ends before the value does (a stream reader waits for more)."""


class TooDeep(Exception):
    """Nesting past max_depth at `offset`."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


class TooLong(Exception):
    """A string/bytes longer than max_string_bytes, or too many zero-byte items: (limit, offset)."""

    def __init__(self, limit: str, message: str, offset: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.message = message
        self.offset = offset


class State:
    """Per-scan limits and counters (one per payload)."""

    __slots__ = ("max_depth", "max_string", "zero_width_budget")

    def __init__(self, max_depth: int, max_string: int, zero_width_budget: int) -> None:
        self.max_depth = max_depth
        self.max_string = max_string
        self.zero_width_budget = zero_width_budget


Step = Callable[[bytes, int, int, State], int]  # (data, pos, depth, state) -> new pos


def read_long(data: bytes, pos: int) -> tuple[int, int]:
    """A zigzag varint long at `pos` -> (value, next pos); Malformed past 10 bytes."""
    start = pos
    try:
        byte = data[pos]
        pos += 1
        if byte < 0x80:
            return (byte >> 1) ^ -(byte & 1), pos
        result = byte & 0x7F
        shift = 7
        while True:
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
            if shift > 63:
                raise Malformed("a varint longer than 10 bytes", start)
    except IndexError:
        raise Truncated("unexpected end of data inside a varint", len(data)) from None
    if shift == 63 and byte > 1:
        raise Malformed("a varint past 64 bits", start)
    return (result >> 1) ^ -(result & 1), pos


def _scan_null(data, pos, depth, st):
    return pos


def _scan_boolean(data, pos, depth, st):
    if pos >= len(data):
        raise Truncated("unexpected end of data (a boolean)", len(data))
    if data[pos] > 1:
        raise Malformed(f"a boolean byte must be 0 or 1, got {data[pos]}", pos)
    return pos + 1


def _scan_int(data, pos, depth, st):
    value, end = read_long(data, pos)
    if not _INT32[0] <= value <= _INT32[1]:
        raise Malformed(f"{value} does not fit an Avro int (32 bits)", pos)
    return end


def _scan_long(data, pos, depth, st):
    return read_long(data, pos)[1]


def _fixed_width(width: int, what: str) -> Step:
    def scan(data, pos, depth, st):
        end = pos + width
        if end > len(data):
            raise Truncated(f"unexpected end of data ({what} needs {width} bytes)", len(data))
        return end
    return scan


def _scan_bytes(data, pos, depth, st):
    size, start = read_long(data, pos)
    if size < 0:
        raise Malformed(f"negative length {size}", pos)
    if size > st.max_string:
        raise TooLong("max_string_bytes", f"bytes of declared length {size}", pos)
    end = start + size
    if end > len(data):
        raise Truncated(f"declared length {size} runs past the end of data ({len(data) - start} bytes left)", pos)
    return end


def _scan_string(data, pos, depth, st):
    size, start = read_long(data, pos)
    if size < 0:
        raise Malformed(f"negative length {size}", pos)
    if size > st.max_string:
        raise TooLong("max_string_bytes", f"string of declared length {size}", pos)
    end = start + size
    if end > len(data):
        raise Truncated(f"declared length {size} runs past the end of data ({len(data) - start} bytes left)", pos)
    if size:
        try:
            data[start:end].decode("utf-8")
        except UnicodeDecodeError as error:
            raise Malformed("a string is not valid UTF-8", start + error.start) from None
    return end


_PRIMITIVES: dict[str, Step] = {
    "null": _scan_null, "boolean": _scan_boolean, "int": _scan_int, "long": _scan_long,
    "float": _fixed_width(4, "a float"), "double": _fixed_width(8, "a double"),
    "bytes": _scan_bytes, "string": _scan_string,
}


class Compiler:
    """Fastavro parsed schema -> scanning closures; named types by their full names."""

    def __init__(self, named: dict[str, Any]) -> None:
        self.named = named
        self.steps: dict[str, Step] = {}

    def step(self, schema: Any) -> Step:
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return _PRIMITIVES[schema]
            return self._named_step(schema)
        if isinstance(schema, list):
            return self._union(schema)
        kind = schema["type"]
        if kind in _PRIMITIVES:
            return _PRIMITIVES[kind]
        if kind in ("record", "error", "enum", "fixed"):
            return self._named_step(schema["name"], schema)
        if kind == "array":
            return self._array(schema["items"])
        if kind == "map":
            return self._map(schema["values"])
        return self.step(kind)

    def _named_step(self, name: str, schema: Any = None) -> Step:
        if name in self.steps:
            return self.steps[name]
        steps = self.steps

        def late(data, pos, depth, st):  # recursion: bound once the type is compiled
            return steps[name](data, pos, depth, st)

        steps[name] = late
        schema = schema if schema is not None else self.named[name]
        kind = schema["type"]
        if kind == "enum":
            built = _enum(schema["symbols"])
        elif kind == "fixed":
            built = _fixed_width(schema["size"], f"fixed {name}")
        else:
            built = self._record(schema)
        steps[name] = built
        return built

    def _record(self, schema: dict) -> Step:
        fields = tuple(self.step(field["type"]) for field in schema["fields"])

        def scan(data, pos, depth, st):
            if depth >= st.max_depth:
                raise TooDeep(pos)
            depth += 1
            for field in fields:
                pos = field(data, pos, depth, st)
            return pos
        return scan

    def _union(self, branches: list) -> Step:
        steps = tuple(self.step(branch) for branch in branches)
        count = len(steps)

        def scan(data, pos, depth, st):
            index, end = read_long(data, pos)
            if not 0 <= index < count:
                raise Malformed(f"union branch {index} does not exist (the union has {count})", pos)
            return steps[index](data, end, depth, st)
        return scan

    def _array(self, items: Any) -> Step:
        item = self.step(items)
        zero_width = min_width(items, self.named) == 0
        return _blocks(item, None, zero_width)

    def _map(self, values: Any) -> Step:
        return _blocks(self.step(values), _scan_string, False)


def _enum(symbols: list[str]) -> Step:
    count = len(symbols)

    def scan(data, pos, depth, st):
        index, end = read_long(data, pos)
        if not 0 <= index < count:
            raise Malformed(f"enum symbol {index} does not exist (the enum has {count})", pos)
        return end
    return scan


def _blocks(item: Step, key: Step | None, zero_width: bool) -> Step:
    """Arrays and maps: blocks of `count` items, a negative count followed by the block's byte size."""

    def scan(data, pos, depth, st):
        if depth >= st.max_depth:
            raise TooDeep(pos)
        depth += 1
        while True:
            start = pos
            count, pos = read_long(data, pos)
            if count == 0:
                return pos
            size = None
            if count < 0:
                count = -count
                size, pos = read_long(data, pos)
                if size < 0:
                    raise Malformed(f"negative block size {size}", start)
            body = pos
            if zero_width:  # items of zero bytes: nothing to check, but each one costs memory
                st.zero_width_budget -= count
                if st.zero_width_budget < 0:
                    raise TooLong("max_message_bytes", f"an array declares {count} items of zero bytes "
                                  "(each counts as one byte of the decoded document)", start)
                pos = item(data, pos, depth, st) if count else pos
            else:
                if count > len(data) - pos:  # every item takes at least one byte
                    raise Malformed(f"a block declares {count} items but only {len(data) - pos} bytes remain",
                                    start)
                if key is None:
                    for _ in range(count):
                        pos = item(data, pos, depth, st)
                else:
                    for _ in range(count):
                        pos = item(data, key(data, pos, depth, st), depth, st)
            if size is not None and pos - body != size:
                raise Malformed(f"a block declares {size} bytes but holds {pos - body}", start)
    return scan


def min_width(schema: Any, named: dict[str, Any], seen: frozenset = frozenset()) -> int:
    """0 when a value of this schema can encode in zero bytes (null, fixed(0), records of those)."""
    if isinstance(schema, str):
        if schema == "null":
            return 0
        if schema in _PRIMITIVES:
            return 1
        if schema in seen:
            return 1  # a record that contains itself needs a union index somewhere: at least a byte
        return min_width(named[schema], named, seen)
    if isinstance(schema, list):
        return 1
    kind = schema["type"]
    if kind == "fixed":
        return schema["size"]
    if kind in ("record", "error"):
        inner = seen | {schema["name"]}
        return sum(min_width(field["type"], named, inner) for field in schema["fields"])
    if kind in ("enum", "array", "map"):
        return 1
    return min_width(kind, named, seen)
