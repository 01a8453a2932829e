"""Apache Avro on fastavro's C reader and writer: binary, Object Container File, single-object, JSON.

Mapping rules, encodings, options, resolution notes and limits: docs/avro-mapping.md. Decoding
guards fastavro (which trusts its input) with a validating scan where a payload could crash or
exhaust it (see scan.py); encoding conforms each value to the schema's Shape first (conform.py),
then adapts what fastavro lacks (plan.py).
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError

from convsvc.formats.avro_codec import container, json_encoding, scan
from convsvc.formats.avro_codec.plan import Plan, _Fit, plan_for
from convsvc.formats.codec import Encoding
from convsvc.model import Code, Context, InvalidRequest, Issue, Unimplemented
from convsvc.model.conform import conform
from convsvc.schemas import CompiledSchema, SchemaError, SchemaSource, compile_schema

NAME = "avro"
DESCRIPTION = "Apache Avro: binary, Object Container File, single-object and JSON encodings"
SCHEMA_TYPES = ("avro",)
SINGLE_OBJECT_MAGIC = b"\xc3\x01"
CONFLUENT_MAGIC = b"\x00"  # then the 4-byte big-endian registry id (Confluent's wire format)
ENCODINGS = {
    "binary": Encoding("binary", "one datum in Avro binary, no header (the schema is required); as a "
                       "stream, each datum follows its length as an Avro long"),
    "ocf": Encoding("ocf", "Object Container File: the writer schema in the header, each record one "
                    "document", multi_document=True,
                    options={"codec": "null (default), deflate, snappy or zstandard (encode only)"}),
    "single-object": Encoding("single-object", "C3 01, the schema's CRC-64-AVRO fingerprint, then the "
                              "binary datum (the schema is required); as a stream, each message follows "
                              "its length as an Avro long"),
    "confluent": Encoding("confluent", "Confluent's wire format: the byte 00, the writer schema's registry "
                          "id (4 bytes, big-endian), the binary datum; decoding looks the id up in the "
                          "registry, encoding needs the schema named by id or subject; as a stream, each "
                          "message follows its length as an Avro long"),
    "json": Encoding("json", "the Avro JSON encoding (unions as {\"branch\": value}, bytes as code points "
                     "0-255), one datum per line", multi_document=True),
}


# -- schemas -------------------------------------------------------------------------------------

def _plan(schema: CompiledSchema) -> Plan:
    return plan_for(schema.source.digest, schema.compiled)


def _writer_schema(ctx: Context, field: str) -> CompiledSchema:
    if ctx.schema is None:
        raise InvalidRequest(Issue(Code.INVALID_SCHEMA, f"{field}.schema",
                                   f"avro/{ctx.encoding or 'binary'} needs a schema: set {field}.schema "
                                   "to the Avro schema the data is written with"))
    return ctx.schema


def _reader_schema(ctx: Context) -> CompiledSchema | None:
    """The reader schema for Avro schema resolution (FormatSpec.reader_schema, compiled by the engine)."""
    return ctx.reader_schema


# -- decoding --------------------------------------------------------------------------------------

def decode(data: bytes, ctx: Context) -> list[Any]:
    """The documents of a payload in ctx.encoding, resolved to ctx.reader_schema when one is given."""
    if len(data) > ctx.limits.max_message_bytes:
        raise ctx.over_limit("max_message_bytes", f"payload of {len(data)} bytes")
    encoding = ctx.encoding or "binary"
    reader = _reader_schema(ctx)
    if encoding == "ocf":
        return _decode_ocf(data, ctx, reader)
    if encoding == "confluent":
        return _decode_confluent(data, ctx, reader)
    writer = _writer_schema(ctx, "source")
    if encoding == "json":
        return _decode_json(data, ctx, writer, reader)
    start = 0
    if encoding == "single-object":
        start = _check_single_object(data, ctx, _plan(writer))
    return _read_datums(data[start:] if start else data, 1, _plan(writer), reader, ctx, base=start)


def _decode_confluent(data: bytes, ctx: Context, reader: CompiledSchema | None) -> list[Any]:
    """Magic byte 0, the writer schema's registry id (4 bytes, big-endian), the binary datum. A schema
    given for the source side (or a reader schema) is what the data is resolved to."""
    if data[:1] != CONFLUENT_MAGIC:
        raise ctx.refuse(Code.SYNTAX_ERROR, "not a Confluent-framed message (it starts with the byte 00)", offset=0)
    if len(data) < 5:
        raise ctx.refuse(Code.SYNTAX_ERROR, "unexpected end of data in the schema id", offset=len(data))
    schema_id = int.from_bytes(data[1:5], "big")
    writer = ctx.schema_by_id(schema_id) if ctx.schema_by_id is not None else None
    if writer is None:
        raise Unimplemented(Issue(Code.UNIMPLEMENTED, "source.encoding",
                                  f"the payload names schema id {schema_id}: avro/confluent needs a registry"))
    if writer.source.type != "avro":
        raise ctx.refuse(Code.SCHEMA_VIOLATION, f"schema {schema_id} is a {writer.source.type} schema, not Avro",
                         offset=1)
    target = reader or (ctx.schema if ctx.schema is not None and ctx.schema.source.digest != writer.source.digest
                        else None)
    return _read_datums(data[5:], 1, _plan(writer), target, ctx, base=5)


def _check_single_object(data: bytes, ctx: Context, plan: Plan) -> int:
    if data[:2] != SINGLE_OBJECT_MAGIC:
        raise ctx.refuse(Code.SYNTAX_ERROR, "not an Avro single-object message (it starts with C3 01)", offset=0)
    if len(data) < 10:
        raise ctx.refuse(Code.SYNTAX_ERROR, "unexpected end of data in the schema fingerprint", offset=len(data))
    found, expected = data[2:10], plan.fingerprint
    if found != expected:
        raise ctx.refuse(Code.SCHEMA_VIOLATION,
                         f"the message's schema fingerprint {found.hex()} is not the given schema's "
                         f"{expected.hex()} (CRC-64-AVRO, little-endian)", offset=2)
    return 10


def _read_datums(buf: bytes, count: int, writer: Plan, reader: CompiledSchema | None, ctx: Context,
                 base: int = 0) -> list[Any]:
    """`count` datums filling `buf` exactly: validated by the scan (strict, exact offsets, bounded),
    then built by fastavro's C reader, resolving to the reader schema when one is given."""
    _scan(buf, count, writer, ctx, base)
    reader_plan = _plan(reader) if reader is not None else None
    reader_parsed = reader_plan.as_reader if reader_plan is not None else None
    stream = io.BytesIO(buf)
    values = []
    try:
        for _ in range(count):
            values.append(schemaless_reader(stream, writer.parsed, reader_parsed))
    except SchemaResolutionError as error:
        raise ctx.refuse(Code.SCHEMA_VIOLATION, f"the data does not resolve to the reader schema: {error}",
                         offset=base + stream.tell()) from None
    except (OverflowError, ValueError) as error:  # valid bytes, but e.g. a date past year 9999
        raise ctx.refuse(Code.VALUE_OUT_OF_RANGE, f"a value is out of range for its logical type: {error}",
                         offset=base + stream.tell()) from None
    except Exception as error:  # noqa: BLE001 - the scan passed, so this is fastavro's own limitation
        raise ctx.refuse(Code.SYNTAX_ERROR, f"fastavro cannot read the datum: {type(error).__name__}: {error}",
                         offset=base + stream.tell()) from None
    adapter = (reader_plan or writer).to_canonical
    if adapter is not None:
        values = [adapter(value, "", ctx) for value in values]
    return values


def _scan(buf: bytes, count: int, plan: Plan, ctx: Context, base: int) -> None:
    limits = ctx.limits
    state = scan.State(limits.max_depth, limits.max_string_bytes, max(0, limits.max_message_bytes - len(buf)))
    pos = 0
    try:
        for _ in range(count):
            pos = plan.scanner(buf, pos, 0, state)
    except scan.Malformed as error:
        raise ctx.refuse(Code.SYNTAX_ERROR, error.message, offset=base + error.offset) from None
    except scan.TooDeep as error:
        raise ctx.over_limit("max_depth", "nesting too deep", offset=base + error.offset) from None
    except scan.TooLong as error:
        raise ctx.over_limit(error.limit, error.message, offset=base + error.offset) from None
    except RecursionError:
        raise ctx.over_limit("max_depth", "nesting too deep") from None
    if pos != len(buf):
        raise ctx.refuse(Code.SYNTAX_ERROR, f"{len(buf) - pos} bytes after the end of the datum", offset=base + pos)


def _decode_ocf(data: bytes, ctx: Context, reader: CompiledSchema | None) -> list[Any]:
    limits = ctx.limits
    try:
        header = container.read_header(data, limits.max_string_bytes)
    except scan.Malformed as error:
        raise ctx.refuse(Code.SYNTAX_ERROR, f"Object Container File header: {error.message}", offset=error.offset) from None
    except container.UnknownCodec as error:
        raise ctx.refuse(Code.UNIMPLEMENTED, f"the file's codec {error.args[0]!r} is not supported "
                         f"(supported: {', '.join(container.CODECS)})", offset=4) from None
    try:
        writer = compile_schema(SchemaSource("avro", header.schema_text))
    except SchemaError as error:
        raise ctx.refuse(Code.INVALID_SCHEMA, f"the file's embedded schema: {error}", offset=4) from None
    if reader is None:
        reader = ctx.schema  # the writer schema is in the file: a given schema says how to read it
    if reader is not None and reader.source.digest == writer.source.digest:
        reader = None
    plan = _plan(writer)
    values: list[Any] = []
    budget = limits.max_message_bytes
    try:
        for block in container.iter_blocks(data, header, budget, limits.max_documents):
            ctx.checkpoint()
            budget -= len(block.data)
            values.extend(_read_datums(block.data, block.count, plan, reader, ctx,
                                       base=block.data_offset if header.codec == "null" else block.offset))
    except scan.Malformed as error:
        raise ctx.refuse(Code.SYNTAX_ERROR, f"Object Container File: {error.message}", offset=error.offset) from None
    except container.Inflated as error:
        raise ctx.over_limit("max_message_bytes", f"a {header.codec} block inflates past the limit",
                             offset=error.offset) from None
    except container.TooManyRecords as error:
        raise ctx.over_limit("max_documents", f"the file holds more than {limits.max_documents} records",
                             offset=error.offset) from None
    return values


def _decode_json(data: bytes, ctx: Context, writer: CompiledSchema, reader: CompiledSchema | None) -> list[Any]:
    from convsvc.formats import json_codec

    documents = _json_documents(data, ctx, json_codec)
    plan = _plan(writer)
    converter = json_encoding.Reader(plan.named, ctx)
    values = []
    for index, (document, offset) in enumerate(documents):
        ctx.checkpoint()
        prefix = f"/{index}" if len(documents) > 1 else ""
        try:
            values.append(converter.read(document, plan.parsed, prefix))
        except json_encoding.Mismatch as mismatch:
            message, path, code = mismatch.args
            raise ctx.refuse(code, message, path=path, data=data, offset=offset) from None
    if reader is None:
        return values
    # Resolution goes through binary: fastavro resolves there, exactly as for the other encodings.
    return [_read_datums(_datum_bytes_conformed(value, plan, ctx), 1, plan, reader, ctx)[0] for value in values]


def _json_documents(data: bytes, ctx: Context, json_codec) -> list[tuple[Any, int]]:
    """One JSON value, or one per line (JSON Lines), each with its byte offset."""
    from convsvc.model import InvalidInput, TooManyChanges

    if not data.strip():
        return []
    try:
        return [(json_codec.decode_value(data, ctx), 0)]
    except TooManyChanges:
        raise
    except InvalidInput as whole:
        documents = []
        offset = 0
        for line in data.split(b"\n"):
            start, offset = offset, offset + len(line) + 1
            if not line.strip():
                continue
            if len(documents) >= ctx.limits.max_documents:
                raise ctx.over_limit("max_documents", f"more than {ctx.limits.max_documents} datums",
                                     data=data, offset=start) from None
            try:
                documents.append((json_codec.decode_value(line, ctx, base=data, base_offset=start), start))
            except InvalidInput:
                if not documents:
                    raise whole from None  # not JSON Lines either: the error of the payload as a whole
                raise
        return documents


# -- encoding --------------------------------------------------------------------------------------

def encode(documents: list[Any], ctx: Context) -> bytes:
    encoding = ctx.encoding or "binary"
    schema = _writer_schema(ctx, "target")
    plan = _plan(schema)
    multi = len(documents) > 1
    if encoding == "ocf":
        codec = _ocf_codec(ctx)
        datums = [_datum_bytes(document, schema, plan, ctx, f"/{index}" if multi else "")
                  for index, document in enumerate(documents)]
        return container.write_file(_schema_json(schema), codec, datums)
    if encoding == "json":
        return b"".join(_json_line(document, schema, plan, ctx, f"/{index}" if multi else "")
                        for index, document in enumerate(documents))
    (document,) = documents
    return _encode_single(document, schema, plan, ctx, encoding)


def _encode_single(document: Any, schema: CompiledSchema, plan: Plan, ctx: Context, encoding: str) -> bytes:
    if encoding == "confluent" and ctx.schema_id is None:
        raise InvalidRequest(Issue(Code.INVALID_SCHEMA, "target.schema", "avro/confluent writes the schema's "
                                   "registry id: name the schema by id or subject, not inline"))
    datum = _datum_bytes(document, schema, plan, ctx, "")
    if encoding == "single-object":
        return SINGLE_OBJECT_MAGIC + plan.fingerprint + datum
    if encoding == "confluent":
        return CONFLUENT_MAGIC + ctx.schema_id.to_bytes(4, "big") + datum
    return datum


def _datum_bytes(value: Any, schema: CompiledSchema, plan: Plan, ctx: Context, path: str) -> bytes:
    ctx.checkpoint()
    return _datum_bytes_conformed(conform(value, schema.shape, ctx, path), plan, ctx, path)


def _datum_bytes_conformed(value: Any, plan: Plan, ctx: Context, path: str = "") -> bytes:
    if plan.to_datum is not None:
        value = plan.to_datum(value, path, ctx)
    out = io.BytesIO()
    try:
        schemaless_writer(out, plan.parsed, value)
    except Exception as error:  # noqa: BLE001 - fastavro raises ValueError, TypeError, struct.error, ...
        raise ctx.refuse(Code.SCHEMA_VIOLATION, f"the value does not fit the Avro schema: {error}", path=path) from None
    return out.getvalue()


def _json_line(value: Any, schema: CompiledSchema, plan: Plan, ctx: Context, path: str) -> bytes:
    import orjson

    conformed = conform(value, schema.shape, ctx, path)
    fit = _Fit(plan.named)
    writer = json_encoding.Writer(plan.named, fit.compile)
    try:
        document = writer.write(conformed, plan.parsed, path)
    except json_encoding.Mismatch as mismatch:
        message, where, code = mismatch.args
        raise ctx.refuse(code, message, path=where) from None
    return orjson.dumps(document, option=orjson.OPT_APPEND_NEWLINE)


def _schema_json(schema: CompiledSchema) -> str:
    """The schema as the OCF header carries it: the full JSON (logical types, defaults), compact."""
    return json.dumps(json.loads(schema.source.text), separators=(",", ":"), ensure_ascii=False)


# -- streams ---------------------------------------------------------------------------------------

def _ocf_codec(ctx: Context) -> str:
    codec = ctx.options.get("codec", "null") or "null"
    if codec not in container.CODECS:
        raise InvalidRequest(Issue(Code.INVALID_REQUEST, "target.options.codec",
                                   f"unknown OCF codec {codec!r}; known: {', '.join(container.CODECS)}"))
    return codec


class OcfStreamWriter:
    """avro/ocf as a stream target: the header goes out with the first record, then each record is one
    block, so the records of a stream, concatenated, are one valid container file."""

    def __init__(self, ctx: Context) -> None:
        self._schema = _writer_schema(ctx, "target")
        self._plan = _plan(self._schema)
        self._codec = _ocf_codec(ctx)
        schema_json = _schema_json(self._schema)
        self._sync = hashlib.sha256(b"stream\x00" + schema_json.encode("utf-8")).digest()[:container.SYNC_SIZE]
        self._header: bytes | None = container.header_bytes(schema_json, self._codec, self._sync)

    def encode_record(self, value: Any, ctx: Context) -> bytes:
        block = container.block_bytes(self._codec, [_datum_bytes(value, self._schema, self._plan, ctx, "")],
                                      self._sync)
        header, self._header = self._header, None
        return header + block if header is not None else block


def stream_writer(ctx: Context) -> OcfStreamWriter | None:
    """A stateful record writer for encodings whose stream has a header (OCF); None: encode_record."""
    return OcfStreamWriter(ctx) if (ctx.encoding or "binary") == "ocf" else None


def encode_record(value: Any, ctx: Context) -> bytes:
    """One record of the stream form: binary and single-object datums follow their length as an Avro
    long; JSON datums end with a newline. OCF goes through stream_writer (one header per stream)."""
    encoding = ctx.encoding or "binary"
    if encoding == "ocf":
        return stream_writer(ctx).encode_record(value, ctx)  # a stream of one record
    if encoding == "json":
        return encode([value], ctx)
    schema = _writer_schema(ctx, "target")
    message = _encode_single(value, schema, _plan(schema), ctx, encoding)
    return container.long_bytes(len(message)) + message


def record_splitter(ctx: Context):
    encoding = ctx.encoding or "binary"
    if encoding == "json":
        from convsvc.formats.json_codec import LineSplitter

        return LineSplitter(ctx)
    if encoding == "ocf":
        return OcfSplitter(ctx)
    return LengthPrefixSplitter(ctx)


class LengthPrefixSplitter:
    """Datums each after its length (an Avro long); holds at most one unfinished datum."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._pending = bytearray()
        self._consumed = 0  # stream offset of _pending[0]

    def feed(self, chunk: bytes) -> list[bytes]:
        self._pending += chunk
        records = []
        while self._pending:
            try:
                size, start = scan.read_long(self._pending, 0)
            except scan.Truncated:
                break
            except scan.Malformed as error:
                raise self._ctx.refuse(Code.SYNTAX_ERROR, f"record length: {error.message}",
                                       offset=self._consumed) from None
            if size < 0:
                raise self._ctx.refuse(Code.SYNTAX_ERROR, f"negative record length {size}", offset=self._consumed)
            if size > self._ctx.limits.max_message_bytes:
                raise self._ctx.over_limit("max_message_bytes", f"a record of {size} bytes", offset=self._consumed)
            if len(self._pending) < start + size:
                break
            records.append(bytes(self._pending[start:start + size]))
            del self._pending[:start + size]
            self._consumed += start + size
        return records

    def finish(self) -> list[bytes]:
        if self._pending:
            raise self._ctx.refuse(Code.SYNTAX_ERROR, "the stream ends inside a record", offset=self._consumed)
        return []


class OcfSplitter:
    """An Object Container File cut into self-contained pieces: header + one block each (so each
    decodes alone); holds the header and at most one unfinished block."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._pending = bytearray()
        self._header: bytes | None = None
        self._sync = b""
        self._consumed = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        self._pending += chunk
        limit = self._ctx.limits.max_message_bytes
        records = []
        try:
            if self._header is None:
                try:
                    header = container.read_header(bytes(self._pending), self._ctx.limits.max_string_bytes)
                except scan.Truncated:
                    if len(self._pending) > limit:
                        raise self._ctx.over_limit("max_message_bytes", "an OCF header without end") from None
                    return []
                self._header = bytes(self._pending[:header.end])
                self._sync = header.sync
                del self._pending[:header.end]
                self._consumed = header.end
            while self._pending:
                try:
                    count, pos = scan.read_long(self._pending, 0)
                    size, pos = scan.read_long(self._pending, pos)
                except scan.Truncated:
                    break
                if count < 0 or size < 0:
                    raise scan.Malformed(f"a block declares {count} records of {size} bytes", 0)
                if size > limit:
                    raise self._ctx.over_limit("max_message_bytes", f"a block of {size} bytes", offset=self._consumed)
                end = pos + size + container.SYNC_SIZE
                if len(self._pending) < end:
                    break
                records.append(self._header + bytes(self._pending[:end]))
                del self._pending[:end]
                self._consumed += end
        except scan.Malformed as error:
            raise self._ctx.refuse(Code.SYNTAX_ERROR, f"Object Container File: {error.message}",
                                   offset=self._consumed + error.offset) from None
        except container.UnknownCodec as error:
            raise self._ctx.refuse(Code.UNIMPLEMENTED, f"the file's codec {error.args[0]!r} is not supported") from None
        return records

    def finish(self) -> list[bytes]:
        if self._pending or self._header is None:
            where = "header" if self._header is None else "a block"
            raise self._ctx.refuse(Code.SYNTAX_ERROR, f"the stream ends inside {where}", offset=self._consumed)
        return []
