"""JSON and JSON Lines: strict RFC 8259 decoding on orjson, with the checks orjson leaves out.

orjson is the hot path. What it does not do is done by C-speed passes over the bytes, not by a
per-node Python walk: duplicate keys (orjson keeps the last silently), integers past 64 bits (orjson
turns them into floats), and the configured depth / number / string limits.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import re
from decimal import Decimal
from itertools import accumulate
from typing import Any

import orjson

from convsvc.formats.codec import Encoding
from convsvc.formats.repair import repair
from convsvc.model import (
    Code, Context, ConversionError, InvalidInput, InvalidRequest, Issue, LimitExceeded, Mode, Severity,
    TooManyChanges, Unimplemented,
)
from convsvc.model.positions import child_pointer, line_column

NAME = "json"
DESCRIPTION = "JSON (RFC 8259) and JSON Lines"
_INDENT_OPTION = {"indent": "0 (compact, default) or 2 (two-space indentation)"}
SCHEMA_TYPES = ("json",)  # JSON Schema validates JSON documents (the engine does it, in both modes)
ENCODINGS = {
    "json": Encoding("json", "one JSON value", options=_INDENT_OPTION),
    "jsonl": Encoding("jsonl", "JSON Lines: one compact JSON value per line", multi_document=True),
    "confluent": Encoding("confluent", "Confluent's JSON Schema wire format: the byte 00, the schema's registry "
                          "id (4 bytes, big-endian), the compact JSON text; decoding looks the id up and "
                          "validates against that JSON Schema, encoding needs the schema named by id or "
                          "subject; as a stream, each message follows its length as an Avro long"),
}
CONFLUENT_MAGIC = b"\x00"

# A whole JSON string token of valid JSON (unrolled loop: no per-character alternation).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# An integer token of 19+ digits: past int64, where orjson would hand back a float.
_BIG_INTEGER = re.compile(rb"(?<![0-9.eE+-])-?[0-9]{19,}(?![0-9.eE])")
_INTEGER_TOKEN = re.compile(rb"-?[0-9]+(?![0-9.eE])")
_STRING_OR_BIG_INTEGER = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|(-?[0-9]{19,})(?![0-9.eE])', re.DOTALL)
_STRING_OR_BRACKET = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_DELTA = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


# -- decoding ------------------------------------------------------------------------------------

def decode(data: bytes, ctx: Context) -> list[Any]:
    _check_size(data, ctx)
    if ctx.encoding == "jsonl":
        return [value for value, _ in _decode_lines(data, ctx)]
    if ctx.encoding == "confluent":
        return [_decode_confluent(data, ctx)]
    return [_decode_or_repair(data, ctx)]


def _decode_confluent(data: bytes, ctx: Context) -> Any:
    """Magic byte 0, the schema's registry id (4 bytes, big-endian), the JSON text: valid against that
    JSON Schema in both modes, as Confluent's JSONDeserializer checks it."""
    if data[:1] != CONFLUENT_MAGIC:
        raise ctx.refuse(Code.SYNTAX_ERROR, "not a Confluent-framed message (it starts with the byte 00)", offset=0)
    if len(data) < 5:
        raise ctx.refuse(Code.SYNTAX_ERROR, "unexpected end of data in the schema id", offset=len(data))
    schema_id = int.from_bytes(data[1:5], "big")
    if ctx.schema_by_id is None:
        raise Unimplemented(Issue(Code.UNIMPLEMENTED, "source.encoding",
                                  f"the payload names schema id {schema_id}: json/confluent needs a registry"))
    schema = ctx.schema_by_id(schema_id)
    if schema.source.type != NAME:
        raise ctx.refuse(Code.SCHEMA_VIOLATION, f"schema {schema_id} is a {schema.source.type} schema, not a "
                         "JSON Schema", offset=1)
    value = _decode_or_repair(data[5:], ctx, base=data, base_offset=5)
    from convsvc.schemas.json_schema import violations

    found = [Issue(Code.SCHEMA_VIOLATION, pointer, f"{message} (schema {schema_id})")
             for pointer, message in violations(schema.compiled, value)]
    if found:
        raise InvalidInput(found)
    return value


def _decode_or_repair(data: bytes, ctx: Context, base: bytes | None = None, base_offset: int = 0) -> Any:
    """Strict first; in ROBUST mode, what strict parsing refuses goes to the repairer (docs/repair.md),
    which never changes what strict parsing accepts. Limits are never repaired around."""
    if not ctx.robust:
        return decode_value(data, ctx, base, base_offset)
    try:
        return decode_value(data, ctx, base, base_offset)
    except (LimitExceeded, TooManyChanges):
        raise
    except InvalidInput:
        first_new = len(ctx.report)
        value = repair(data, ctx)
        if base is not None:  # a JSON Lines record: place its repairs in the whole payload
            ctx.report.issues[first_new:] = [_placed(issue, base, base_offset) for issue in ctx.report.issues[first_new:]]
        return value


def _placed(issue: Issue, base: bytes, base_offset: int) -> Issue:
    if issue.offset is None:
        return issue
    offset = issue.offset + base_offset
    line, column = line_column(base, offset)
    return dataclasses.replace(issue, offset=offset, line=line, column=column)


def decode_value(data: bytes, ctx: Context, base: bytes | None = None, base_offset: int = 0) -> Any:
    """One JSON value, strictly. `base`/`base_offset` place errors inside a larger payload."""
    exact = False
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        huge = _huge_integer(data, error)
        if huge is None:
            raise _refusal(data, error, ctx, base, base_offset) from None
        if huge.end() - huge.start() > ctx.limits.max_number_chars:  # a limit first: no masked copy, no repair
            raise ctx.over_limit("max_number_chars", "number literal too long", data=base or data,
                                 offset=base_offset + huge.start())
        try:  # validate everything else with the huge integers masked (same length: offsets hold)
            value = orjson.loads(_STRING_OR_BIG_INTEGER.sub(_mask_big_integer, data))
        except orjson.JSONDecodeError as masked_error:
            raise _refusal(data, masked_error, ctx, base, base_offset) from None
        exact = True
    stripped = _STRING.sub(b'""', data)  # structure, numbers and literals only
    _check_structure_limits(data, stripped, ctx, base, base_offset)
    if stripped.count(b":") != _count_members(value):
        return _decode_with_duplicates(data, ctx, base, base_offset)
    if exact or _BIG_INTEGER.search(stripped):
        return json.loads(data)  # exact big integers; the text is already known to be valid
    return value


def _huge_integer(data: bytes, error: orjson.JSONDecodeError) -> re.Match | None:
    """The integer token orjson refused as past a double's range (it reads those past 64 bits as doubles)."""
    if "infinity" not in error.msg:
        return None
    return _INTEGER_TOKEN.match(data, _byte_offset(data, error.pos))


def _mask_big_integer(match: re.Match) -> bytes:
    digits = match.group(1)
    if digits is None:
        return match.group(0)
    return b"0." + b"0" * (len(digits) - 2)


def _decode_lines(data: bytes, ctx: Context):
    """(value, offset) for each non-blank line of a JSON Lines payload."""
    offset = 0
    count = 0
    for line in data.split(b"\n"):
        start = offset
        offset += len(line) + 1
        if not line.strip():
            continue
        ctx.checkpoint()  # a long run of records stops soon after the caller gives up
        count += 1
        if count > ctx.limits.max_documents:
            raise ctx.over_limit("max_documents", f"more than {ctx.limits.max_documents} JSON Lines records",
                                 data=data, offset=start)
        yield _decode_or_repair(line, ctx, base=data, base_offset=start), start


def _check_size(data: bytes, ctx: Context) -> None:
    if len(data) > ctx.limits.max_message_bytes:
        raise ctx.over_limit("max_message_bytes", f"payload of {len(data)} bytes")


def _count_members(value: Any) -> int:
    """Object members in a parsed value, counted by orjson re-encoding it (C speed)."""
    return _STRING.sub(b'""', orjson.dumps(value)).count(b":")


def _check_structure_limits(data: bytes, stripped: bytes, ctx: Context, base: bytes | None,
                            base_offset: int) -> None:
    limits = ctx.limits
    brackets = stripped.translate(None, _NOT_BRACKETS)
    if len(brackets) > 2 * limits.max_depth:  # fewer brackets cannot nest deeper than the limit
        depths = accumulate(map(_BRACKET_DELTA.__getitem__, brackets))
        if max(depths) > limits.max_depth:
            raise ctx.over_limit("max_depth", "nesting too deep", data=base or data,
                                 offset=base_offset + _too_deep_at(data, limits.max_depth))
    if len(stripped) > limits.max_number_chars:
        long_number = re.search(rb"[-+.0-9eE]{%d}" % (limits.max_number_chars + 1), stripped)
        if long_number:
            token = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[-+.0-9eE]{%d}' % (limits.max_number_chars + 1), re.DOTALL)
            at = next(m.start() for m in token.finditer(data) if data[m.start()] != 0x22)  # skip strings
            raise ctx.over_limit("max_number_chars", "number literal too long",
                                 data=base or data, offset=base_offset + at)
    if len(data) > limits.max_string_bytes:
        for match in _STRING.finditer(data):
            if match.end() - match.start() - 2 > limits.max_string_bytes:
                raise ctx.over_limit("max_string_bytes", "string too long",
                                     data=base or data, offset=base_offset + match.start())


def _too_deep_at(data: bytes, max_depth: int) -> int:
    """Byte offset of the first bracket that opens level max_depth + 1 (0 if none); strings skipped."""
    if data.count(b"[") + data.count(b"{") <= max_depth:  # C-speed: a 10 MB string or number has none to scan
        return 0
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(data):
        byte = data[match.start()]
        if byte == 0x22:
            continue
        depth += 1 if byte in b"[{" else -1
        if depth > max_depth:
            return match.start()
    return 0


# Up to this size, duplicate keys and refusals inside a value are located by the repairer's positioned
# parse (line:column and JSON Pointer); it reads valid JSON as strict parsing does, at ~4 MB/s.
_LOCATE_BYTES = 1 << 20


def _decode_with_duplicates(data: bytes, ctx: Context, base: bytes | None, base_offset: int) -> Any:
    """Slow path for the rare payload with repeated keys: keep the last value, report each repeat."""
    if len(data) <= _LOCATE_BYTES:
        first_new = len(ctx.report)
        value = repair(data, ctx)  # valid JSON: the same value, each repeat noted where it is
        if base is not None:
            ctx.report.issues[first_new:] = [_placed(issue, base, base_offset) for issue in ctx.report.issues[first_new:]]
        return value

    def build(pairs_value: Any, path: str) -> Any:
        if isinstance(pairs_value, _Pairs):
            result: dict[str, Any] = {}
            for key, item in pairs_value:
                child = child_pointer(path, key)
                if key in result:  # the last value at the first position, as JSON.parse and json.loads do
                    ctx.note(Code.DUPLICATE_KEY, f"duplicate key {key!r}: the last value is kept", path=child)
                result[key] = build(item, child)
            return result
        if isinstance(pairs_value, list):
            return [build(item, child_pointer(path, index)) for index, item in enumerate(pairs_value)]
        return pairs_value

    return build(json.loads(data, object_pairs_hook=_Pairs), "")


class _Pairs(list):
    """An object's members in order, duplicates included (json's object_pairs_hook)."""


def _refusal(data: bytes, error: orjson.JSONDecodeError, ctx: Context, base: bytes | None,
             base_offset: int):
    message = error.msg
    payload = base if base is not None else data
    if "byte order mark" in message:
        return ctx.refuse(Code.JSON_BOM, "a UTF-8 byte order mark is not allowed (RFC 8259 section 8.1); "
                          "ROBUST mode removes it", data=payload, offset=base_offset)
    if "UTF-8" in message:
        try:
            data.decode("utf-8")
            offset = 0
        except UnicodeDecodeError as bad:
            offset = bad.start
        return ctx.refuse(Code.INVALID_UTF8, "payload is not valid UTF-8", data=payload,
                          offset=base_offset + offset)
    too_deep = _too_deep_at(data, ctx.limits.max_depth)
    if too_deep or "depth limit" in message:  # a limit first, as the repairer does; orjson's own depth is 1024
        return ctx.over_limit("max_depth", "nesting too deep", data=payload, offset=base_offset + too_deep)
    if message == "failed to allocate memory":  # orjson's word for some truncated nestings: ask the stdlib
        try:
            json.loads(data)
        except json.JSONDecodeError as plain:
            message, error = plain.msg, plain
    offset = base_offset + _byte_offset(data, error.pos)
    if "surrogate" in message:
        return ctx.refuse(Code.LONE_SURROGATE, message, data=payload, offset=offset, path=_pointer_of(data, ctx))
    if "infinity" in message:
        return ctx.refuse(Code.NUMBER_OUT_OF_RANGE, message, data=payload, offset=offset,
                          path=_pointer_of(data, ctx))
    if "empty" in message:
        return ctx.refuse(Code.NO_DOCUMENT, "payload holds no JSON value", data=payload, offset=offset)
    return ctx.refuse(Code.SYNTAX_ERROR, message, data=payload, offset=offset)


def _pointer_of(data: bytes, ctx: Context) -> str:
    """The JSON Pointer of what strict parsing refused (a lone surrogate, a number past a double): the
    repairer refuses the same things, with a path. Empty for large payloads (see _LOCATE_BYTES)."""
    if len(data) > _LOCATE_BYTES:
        return ""
    try:
        repair(data, Context(mode=Mode.ROBUST, limits=ctx.limits))
    except ConversionError as refused:
        return refused.issues[0].path
    return ""


def _byte_offset(data: bytes, char_index: int) -> int:
    """orjson reports character positions; issues carry byte offsets."""
    if data.isascii():
        return char_index
    return len(data.decode("utf-8", errors="replace")[:char_index].encode("utf-8"))


# -- encoding ------------------------------------------------------------------------------------

def encode(documents: list[Any], ctx: Context) -> bytes:
    if ctx.encoding == "jsonl":
        lines = []
        for value in documents:
            ctx.checkpoint()
            lines.append(encode_record(value, ctx))
        return b"".join(lines)
    (value,) = documents
    if ctx.encoding == "confluent":
        return _confluent_frame(ctx) + _dumps(value, ctx, 0)
    indent = ctx.options.get("indent", "0")
    return _dumps(value, ctx, orjson.OPT_INDENT_2 if indent == "2" else 0)


def encode_record(value: Any, ctx: Context) -> bytes:
    if ctx.encoding == "confluent":
        from convsvc.formats.avro_codec.container import long_bytes

        message = _confluent_frame(ctx) + _dumps(value, ctx, 0)
        return long_bytes(len(message)) + message
    return _dumps(value, ctx, orjson.OPT_APPEND_NEWLINE)


def _confluent_frame(ctx: Context) -> bytes:
    """00 + the target schema's registry id: the engine has validated the value against that schema."""
    if ctx.schema_id is None or ctx.schema is None:
        raise InvalidRequest(Issue(Code.INVALID_SCHEMA, "target.schema", "json/confluent writes the schema's "
                                   "registry id: name a JSON Schema by id or subject"))
    return CONFLUENT_MAGIC + ctx.schema_id.to_bytes(4, "big")


def _dumps(value: Any, ctx: Context, option: int) -> bytes:
    original = value
    if ctx.source_format != NAME:  # values from other formats may hold what JSON cannot
        value = _json_safe(value, ctx, "", 0)
    try:
        out = orjson.dumps(value, option=option)
    except TypeError:  # an integer past 64 bits: orjson refuses it, a Fragment keeps every digit
        out = orjson.dumps(_json_safe(value, ctx, "", 0), option=option)
    if _SIXTEEN_DIGITS.search(out):  # only then can an integer be past 2^53 (a C-speed scan)
        _note_unsafe_integers(original, ctx)
    return out


_SIXTEEN_DIGITS = re.compile(rb"[0-9]{16}")
_SAFE_INTEGER = 2**53


def _note_unsafe_integers(value: Any, ctx: Context) -> None:
    """One INFO issue per document for integers past 2^53: exact in the JSON written, but JavaScript's
    JSON.parse (and any reader into doubles) rounds them. Not a change, so FRAGILE accepts it."""
    first, count, stack = None, 0, [("", value)]
    while stack:
        path, item = stack.pop()
        if item.__class__ is int and not -_SAFE_INTEGER <= item <= _SAFE_INTEGER:
            count += 1
            first = first or (path, item)
        elif isinstance(item, dict):  # children pushed in reverse: the first found is the first in the document
            stack.extend(reversed([(child_pointer(path, str(key)), child) for key, child in item.items()]))
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed([(child_pointer(path, index), child) for index, child in enumerate(item)]))
    if count:
        more = f" (and {count - 1} more)" if count > 1 else ""
        ctx.report.add(Issue(Code.PRECISION_LOST, first[0], severity=Severity.INFO,
                             message=f"the integer {first[1]}{more} is past 2^53: exact in this JSON, but "
                             "JavaScript's JSON.parse and other double-based readers round it"))


def _json_safe(value: Any, ctx: Context, path: str, depth: int) -> Any:
    """A copy orjson can write exactly: big ints and Decimals as raw number text, bytes as base64,
    non-finite floats and non-string keys reported (FRAGILE refuses what was reported)."""
    if isinstance(value, dict):
        if depth >= ctx.limits.max_depth:
            raise ctx.over_limit("max_depth", "nesting too deep", path=path)
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                ctx.note(Code.NON_STRING_KEY, f"key {key!r} written as text", path=path)
                key = _key_text(key)
            out[key] = _json_safe(item, ctx, child_pointer(path, key), depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        if depth >= ctx.limits.max_depth:
            raise ctx.over_limit("max_depth", "nesting too deep", path=path)
        return [_json_safe(item, ctx, child_pointer(path, index), depth + 1) for index, item in enumerate(value)]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else orjson.Fragment(str(value).encode())
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        ctx.note(Code.NON_FINITE_NUMBER, f"{value!r} has no JSON form; written as null", path=path)
        return None
    if isinstance(value, Decimal):
        if value.is_finite():
            return orjson.Fragment(str(value).encode())
        ctx.note(Code.NON_FINITE_NUMBER, f"decimal {value} has no JSON form; written as null", path=path)
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        ctx.note(Code.BINARY_AS_BASE64, "binary data written as base64 text", path=path)
        return base64.b64encode(bytes(value)).decode("ascii")
    return value  # datetime, date, time, UUID: orjson writes RFC 3339 / canonical text


def _key_text(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


# -- streams -------------------------------------------------------------------------------------

class LineSplitter:
    """One record per line from chunks (blank lines skipped); holds at most one unfinished line.
    Every line-framed stream form uses it (JSON Lines, Avro JSON, ProtoJSON, XML)."""

    def __init__(self, ctx: Context, record: str = "a JSON Lines record") -> None:
        self._ctx = ctx
        self._record = record
        self._pending = bytearray()

    def feed(self, chunk: bytes) -> list[bytes]:
        self._pending += chunk
        if b"\n" not in chunk:
            self._check_pending()
            return []
        *lines, rest = bytes(self._pending).split(b"\n")
        self._pending = bytearray(rest)
        self._check_pending()
        return [line for line in lines if line.strip()]

    def finish(self) -> list[bytes]:
        rest, self._pending = bytes(self._pending), bytearray()
        return [rest] if rest.strip() else []

    def _check_pending(self) -> None:
        if len(self._pending) > self._ctx.limits.max_message_bytes:
            raise self._ctx.over_limit("max_message_bytes", f"{self._record} has no end in sight")


def record_splitter(ctx: Context):
    if ctx.encoding == "confluent":
        from convsvc.formats.avro_codec import LengthPrefixSplitter

        return LengthPrefixSplitter(ctx)
    return LineSplitter(ctx)
