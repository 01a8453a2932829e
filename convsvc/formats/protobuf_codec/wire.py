"""The Protobuf wire format where the library does not help: varint framing of delimited streams,
re-encoding unknown fields, and finding where a payload upb refused goes wrong.

The scanner is the slow path: it runs only after upb (C) has refused a payload, to name the byte
offset, the field path and the cause; accepted payloads never meet Python-level wire parsing.
"""

from __future__ import annotations

import dataclasses

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from convsvc.model import Code, Context
from convsvc.model.positions import child_pointer

MAX_VARINT_BYTES = 10
VARINT, FIXED64, LENGTH_DELIMITED, START_GROUP, END_GROUP, FIXED32 = 0, 1, 2, 3, 4, 5
_SCAN_BUDGET = 5_000_000  # fields the error scanner visits before giving up on naming the place


class Truncated(Exception):
    """More bytes are needed (a stream splitter waits for them)."""


def encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_varint(data, offset: int, end: int | None = None) -> tuple[int, int]:
    """(value, offset after it). Raises Truncated when the data ends inside it, ValueError when it
    runs past 10 bytes or 64 bits."""
    end = len(data) if end is None else end
    result = shift = 0
    position = offset
    while True:
        if position >= end:
            raise Truncated
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if result >= 1 << 64:
                raise ValueError("varint larger than 64 bits")
            return result, position
        shift += 7
        if position - offset >= MAX_VARINT_BYTES:
            raise ValueError("varint longer than 10 bytes")


def frame(message: bytes) -> bytes:
    """One message of a delimited stream: its length as a varint, then its bytes."""
    return encode_varint(len(message)) + message


# -- unknown fields ---------------------------------------------------------------------------------

def encode_unknown_fields(fields) -> bytes:
    """The wire bytes of an UnknownFieldSet (as upb parsed them), to merge back later."""
    out = bytearray()
    for field in fields:
        number, wire_type, data = field.field_number, field.wire_type, field.data
        out += encode_varint(number << 3 | wire_type)
        if wire_type == VARINT:
            out += encode_varint(data & 0xFFFFFFFFFFFFFFFF)
        elif wire_type == FIXED64:
            out += (data & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
        elif wire_type == FIXED32:
            out += (data & 0xFFFFFFFF).to_bytes(4, "little")
        elif wire_type == LENGTH_DELIMITED:
            out += encode_varint(len(data)) + bytes(data)
        elif wire_type == START_GROUP:
            out += encode_unknown_fields(data) + encode_varint(number << 3 | END_GROUP)
    return bytes(out)


# -- delimited streams ------------------------------------------------------------------------------

class DelimitedSplitter:
    """Complete messages from a delimited stream cut anywhere; holds at most one unfinished message.

    A declared length past max_message_bytes is refused as soon as its prefix is read, before any
    of the body arrives (a 2^62-byte claim costs nothing)."""

    def __init__(self, ctx: Context, *, keep_prefix: bool = True) -> None:
        self._ctx = ctx
        self._keep_prefix = keep_prefix  # delimited records keep it; binary stream records are bodies
        self._pending = bytearray()
        self._length: int | None = None  # body length of the message being gathered
        self._header = 0
        self._seen = 0  # bytes of the stream before _pending

    def feed(self, chunk: bytes) -> list[bytes]:
        self._pending += chunk
        records = []
        position = 0
        pending = self._pending
        while True:
            if self._length is None:
                if position >= len(pending):
                    break
                try:
                    length, body = read_varint(pending, position)
                except Truncated:
                    break
                except ValueError as error:
                    raise self._ctx.refuse(Code.SYNTAX_ERROR, f"invalid length prefix: {error}",
                                           offset=self._seen + position) from None
                check_declared_length(length, self._ctx, self._seen + position)
                self._length, self._header = length, body - position
            total = self._header + self._length
            if len(pending) - position < total:
                break
            start = position if self._keep_prefix else position + self._header
            records.append(bytes(pending[start:position + total]))
            position += total
            self._length = None
        if position:
            del pending[:position]
            self._seen += position
        return records

    def finish(self) -> list[bytes]:
        if self._pending:
            offset = self._seen
            if self._length is None:
                message = "the stream ends inside a length prefix"
            else:
                message = (f"the stream ends inside a message: {self._length} bytes declared, "
                           f"{len(self._pending) - self._header} present")
            self._pending = bytearray()
            raise self._ctx.refuse(Code.SYNTAX_ERROR, message, offset=offset)
        return []


def check_declared_length(length: int, ctx: Context, offset: int) -> None:
    if length > ctx.limits.max_message_bytes:
        raise ctx.over_limit("max_message_bytes", f"a delimited message declares {length} bytes", offset=offset)


def split_frames(data: bytes, ctx: Context):
    """(offset of the body, body) for each message of a whole delimited payload."""
    position = 0
    end = len(data)
    while position < end:
        try:
            length, body = read_varint(data, position)
        except Truncated:
            raise ctx.refuse(Code.SYNTAX_ERROR, "the payload ends inside a length prefix",
                             offset=position) from None
        except ValueError as error:
            raise ctx.refuse(Code.SYNTAX_ERROR, f"invalid length prefix: {error}", offset=position) from None
        check_declared_length(length, ctx, position)
        if body + length > end:
            raise ctx.refuse(Code.SYNTAX_ERROR, f"a message of {length} bytes declared at byte {position} "
                             f"is cut off: the payload ends {body + length - end} bytes early", offset=position)
        yield body, data[body:body + length]
        position = body + length


# -- finding what upb refused -----------------------------------------------------------------------

@dataclasses.dataclass(slots=True)
class WireProblem:
    code: Code
    message: str
    offset: int
    path: str
    too_deep: bool = False


class _Found(Exception):
    def __init__(self, problem: WireProblem) -> None:
        self.problem = problem


_PACKABLE_FIXED = {
    FieldDescriptor.TYPE_DOUBLE: 8, FieldDescriptor.TYPE_FIXED64: 8, FieldDescriptor.TYPE_SFIXED64: 8,
    FieldDescriptor.TYPE_FLOAT: 4, FieldDescriptor.TYPE_FIXED32: 4, FieldDescriptor.TYPE_SFIXED32: 4,
}
_PACKABLE_VARINT = {
    FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_BOOL, FieldDescriptor.TYPE_ENUM,
}


def find_problem(data, descriptor: Descriptor | None, *, check_utf8: bool, max_depth: int,
                 base_offset: int = 0, path: str = "") -> WireProblem | None:
    """The first place where `data` is not a valid encoding of `descriptor` (None: unknown type,
    check the framing only), or None when the scanner sees nothing wrong."""
    scanner = _Scanner(data, check_utf8, max_depth, base_offset)
    try:
        scanner.message(0, len(data), descriptor, path, 0, None)
    except _Found as found:
        return found.problem
    except RecursionError:
        return WireProblem(Code.LIMIT_EXCEEDED, "nesting too deep to scan", base_offset, path, too_deep=True)
    return None


class _Scanner:
    def __init__(self, data, check_utf8: bool, max_depth: int, base_offset: int) -> None:
        self.data = data
        self.check_utf8 = check_utf8
        self.max_depth = max_depth
        self.base = base_offset
        self.budget = _SCAN_BUDGET

    def fail(self, message: str, offset: int, path: str, code: Code = Code.SYNTAX_ERROR, too_deep=False):
        raise _Found(WireProblem(code, message, self.base + offset, path, too_deep))

    def varint(self, position: int, end: int, what: str, path: str) -> tuple[int, int]:
        try:
            return read_varint(self.data, position, end)
        except Truncated:
            self.fail(f"truncated {what}: the data ends inside a varint", position, path)
        except ValueError as error:
            self.fail(f"malformed {what}: {error}", position, path)

    def message(self, start: int, end: int, descriptor: Descriptor | None, path: str, depth: int,
                group: int | None) -> int:
        """Scan fields in [start, end); returns the offset after the group's end tag (groups) or end."""
        if depth > self.max_depth:
            self.fail(f"message nested more than {self.max_depth} levels deep (protobuf's recursion limit)",
                      start, path, Code.LIMIT_EXCEEDED, too_deep=True)
        fields = descriptor.fields_by_number if descriptor is not None else {}
        counts: dict[int, int] = {}
        position = start
        while position < end:
            self.budget -= 1
            if self.budget < 0:
                return end
            tag_offset = position
            tag, position = self.varint(position, end, "field tag", path)
            number, wire_type = tag >> 3, tag & 7
            if number == 0:
                self.fail("invalid field number 0", tag_offset, path)
            if wire_type in (6, 7):
                self.fail(f"invalid wire type {wire_type} (field {number})", tag_offset, path)
            field = fields.get(number)
            name = field.name if field is not None else str(number)
            if field is not None and field.is_repeated:
                index = counts.get(number, 0)
                counts[number] = index + 1
                here = child_pointer(child_pointer(path, name), index)
            else:
                here = child_pointer(path, name)
            if wire_type == VARINT:
                _, position = self.varint(position, end, f"value of field {name}", here)
            elif wire_type == FIXED64 or wire_type == FIXED32:
                size = 8 if wire_type == FIXED64 else 4
                if position + size > end:
                    self.fail(f"truncated {size * 8}-bit value of field {name}", tag_offset, here)
                position += size
            elif wire_type == LENGTH_DELIMITED:
                length, body = self.varint(position, end, f"length of field {name}", here)
                if body + length > end:
                    self.fail(f"field {name} declares {length} bytes but only {end - body} remain",
                              tag_offset, here)
                self.length_delimited(field, body, body + length, here, depth)
                position = body + length
            elif wire_type == START_GROUP:
                sub = field.message_type if field is not None and field.type == FieldDescriptor.TYPE_GROUP else None
                position = self.message(position, end, sub, here, depth + 1, number)
            elif wire_type == END_GROUP:
                if group != number:
                    self.fail(f"end-group tag for field {number} without its start", tag_offset, path)
                return position
        if group is not None:
            self.fail(f"group of field {group} has no end-group tag", end, path)
        return position

    def length_delimited(self, field: FieldDescriptor | None, start: int, end: int, path: str, depth: int) -> None:
        if field is None:
            return
        kind = field.type
        if kind == FieldDescriptor.TYPE_MESSAGE:
            self.message(start, end, field.message_type, path, depth + 1, None)
        elif kind == FieldDescriptor.TYPE_STRING:
            if self.check_utf8:
                try:
                    bytes(self.data[start:end]).decode("utf-8")
                except UnicodeDecodeError as error:
                    self.fail(f"string field {field.name} is not valid UTF-8", start + error.start, path,
                              Code.INVALID_UTF8)
        elif field.is_repeated and kind in _PACKABLE_FIXED:
            size = _PACKABLE_FIXED[kind]
            if (end - start) % size:
                self.fail(f"packed field {field.name} holds {end - start} bytes, not a multiple of {size}",
                          start, path)
        elif field.is_repeated and kind in _PACKABLE_VARINT:
            position = start
            while position < end:
                _, position = self.varint(position, end, f"packed value of field {field.name}", path)
