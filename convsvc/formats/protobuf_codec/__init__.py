"""Protocol Buffers on protobuf's upb (C) backend: binary, ProtoJSON and length-delimited streams.

Mapping rules, options, presence, unknown fields and limits: docs/protobuf-mapping.md. Decoding
parses with upb and walks the parsed message once (reader.py); a payload upb refuses is scanned in
Python only then, to name the byte offset and field (wire.py). Encoding conforms each value to the
schema's Shape, finishes what conform leaves to Protobuf, and lets the message class build the whole
tree in C (writer.py). ProtoJSON goes through protobuf's own json_format (protojson.py).
"""

from __future__ import annotations

from typing import Any

from google.protobuf.internal import api_implementation
from google.protobuf.message import DecodeError

from convsvc.formats import json_codec
from convsvc.formats.codec import Encoding
from convsvc.formats.protobuf_codec import confluent, protojson
from convsvc.formats.protobuf_codec.plan import MAX_MESSAGE_DEPTH, SchemaPlan, schema_plan
from convsvc.formats.protobuf_codec.reader import MessageDict, Reader
from convsvc.formats.protobuf_codec.wire import DelimitedSplitter, find_problem, frame, split_frames
from convsvc.formats.protobuf_codec.writer import Writer, pointer_of
from convsvc.model import Code, Context, InvalidRequest, Issue, LimitExceeded, Unimplemented

NAME = "protobuf"
DESCRIPTION = "Protocol Buffers: binary, ProtoJSON and length-delimited streams (schema and message type required)"
SCHEMA_TYPES = ("protobuf",)
_EMIT_DEFAULTS = ("true | false (default): include fields without presence that hold their default "
                  "(0, \"\", false, [], {}), as ProtoJSON's always-print option does")
_DECODE_OPTIONS = {"emit_defaults": _EMIT_DEFAULTS + " (decode)"}
ENCODINGS = {
    "binary": Encoding("binary", "one message in the Protobuf wire format; as a stream, each message "
                       "follows its length as a varint", options=_DECODE_OPTIONS),
    "json": Encoding("json", "ProtoJSON, the official JSON mapping (lowerCamel names, int64 as strings, "
                     "bytes base64, enums by name, well-known types in their JSON forms); as a stream, "
                     "one message per line", options={
                         "names": "json (default: lowerCamel json_name) or proto (names as declared) on "
                                  "output; both are accepted on input",
                         "emit_defaults": _EMIT_DEFAULTS,
                         "indent": "0 (compact, default) or 2 (two-space indentation)"}),
    "confluent": Encoding("confluent", "Confluent's wire format: the byte 00, the schema's registry id (4 bytes, "
                          "big-endian), the message indexes, the message; decoding looks the id up in the "
                          "registry (no schema or message type needed), encoding needs the schema named by "
                          "id or subject; as a stream, each framed message follows its length as a varint",
                          options=_DECODE_OPTIONS),
    "delimited": Encoding("delimited", "a stream of messages, each after its length as a varint "
                          "(writeDelimitedTo / parseDelimitedFrom); each message is one document",
                          multi_document=True, options=_DECODE_OPTIONS),
}
_OPTION_VALUES = {"names": ("json", "proto"), "emit_defaults": ("true", "false"), "indent": ("0", "2")}

_BACKEND = api_implementation.Type()  # "upb": the C backend this codec is built and tested on


# -- decoding ------------------------------------------------------------------------------------

def decode(data: bytes, ctx: Context) -> list[Any]:
    if len(data) > ctx.limits.max_message_bytes:
        raise ctx.over_limit("max_message_bytes", f"payload of {len(data)} bytes")
    encoding = ctx.encoding or "binary"
    if encoding == "confluent":  # the frame names the schema and the message
        framed, start = confluent.read_frame(data, ctx)
        plan = schema_plan(framed.compiled.DESCRIPTOR, framed.shape)
        return [read_binary(data[start:], ctx, plan, base_offset=start)]
    schema = _schema(ctx, "source")
    if encoding == "json":
        return [read_json(data, ctx, schema)]
    if encoding == "delimited":
        documents = []
        for offset, body in split_frames(data, ctx):
            if len(documents) >= ctx.limits.max_documents:
                raise ctx.over_limit("max_documents", f"more than {ctx.limits.max_documents} delimited messages",
                                     offset=offset)
            _checkpoint(ctx)
            documents.append(read_binary(body, ctx, schema, base_offset=offset))
        return documents
    return [read_binary(data, ctx, schema)]


def read_binary(data: bytes, ctx: Context, schema: SchemaPlan, *, base_offset: int = 0,
                target_format: str | None = None) -> Any:
    """The canonical value of one message in the wire format. `target_format` (else the engine's
    ctx.target_format, when it has one) decides whether unknown fields can be kept."""
    root = schema.root
    try:
        message = root.cls.FromString(data)
    except DecodeError as error:
        raise _wire_refusal(data, str(error), ctx, schema, base_offset) from None
    return _read(message, ctx, schema, len(data), target_format)


def read_json(data: bytes, ctx: Context, schema: SchemaPlan, target_format: str | None = None) -> Any:
    return _read(protojson.parse(data, ctx, schema), ctx, schema, len(data), target_format)


def _read(message, ctx: Context, schema: SchemaPlan, size: int, target_format: str | None) -> Any:
    if schema.has_required and not message.IsInitialized():
        missing = message.FindInitializationErrors()
        raise ctx.refuse(Code.SCHEMA_VIOLATION, f"required field(s) missing: {', '.join(missing)}",
                         path=pointer_of(missing[0]) if missing else "")
    reader = Reader(ctx, emit_defaults=_flag(ctx, "emit_defaults"), keep_unknown=_keeps_unknown(ctx, target_format))
    value = reader.document(message, schema.root)
    if size > ctx.limits.max_string_bytes:
        _check_lengths(value, ctx, "")
    return value


def _keeps_unknown(ctx: Context, target_format: str | None) -> bool:
    """Unknown fields ride along (MessageDict) when the target may be Protobuf's wire format; when the
    target is known to be another format they are reported as dropped right away."""
    target = target_format if target_format is not None else getattr(ctx, "target_format", "")
    if not target:
        return True
    encoding = getattr(ctx, "target_encoding", "") if target_format is None else ""
    return target == NAME and encoding in ("", "binary", "delimited")


def _wire_refusal(data: bytes, reason: str, ctx: Context, schema: SchemaPlan, base_offset: int):
    root = schema.root
    problem = find_problem(data, root.descriptor, check_utf8="UTF-8" in reason, max_depth=MAX_MESSAGE_DEPTH,
                           base_offset=base_offset)
    if (problem is not None and problem.too_deep) or (problem is None and "Depth" in reason):
        issue = ctx.issue(Code.LIMIT_EXCEEDED, f"messages nested more than {MAX_MESSAGE_DEPTH} levels deep, "
                          f"protobuf's own recursion limit (limit protobuf_recursion_limit={MAX_MESSAGE_DEPTH})",
                          path=problem.path if problem else "", offset=problem.offset if problem else None)
        return LimitExceeded("protobuf_recursion_limit", MAX_MESSAGE_DEPTH, issue)
    if problem is None:
        return ctx.refuse(Code.SYNTAX_ERROR, f"not a valid {root.full_name} message: {reason}", offset=base_offset)
    return ctx.refuse(problem.code, f"not a valid {root.full_name} message: {problem.message}", path=problem.path,
                      offset=problem.offset)


# -- encoding ------------------------------------------------------------------------------------

def encode(documents: list[Any], ctx: Context) -> bytes:
    schema = _schema(ctx, "target")
    encoding = ctx.encoding or "binary"
    if encoding == "delimited":
        return b"".join(frame(write_binary(value, ctx, schema)) for value in documents)
    (value,) = documents
    if encoding == "json":
        return write_json(value, ctx, schema)
    if encoding == "confluent":
        return confluent.frame(ctx.schema, ctx.schema_id, write_binary(value, ctx, schema))
    return write_binary(value, ctx, schema)


def encode_record(value: Any, ctx: Context) -> bytes:
    """One record of the stream form: binary and delimited messages after their varint length;
    ProtoJSON messages one per line."""
    schema = _schema(ctx, "target")
    if (ctx.encoding or "binary") == "json":
        return write_json(value, ctx, schema, newline=True)
    if ctx.encoding == "confluent":
        return frame(confluent.frame(ctx.schema, ctx.schema_id, write_binary(value, ctx, schema)))
    return frame(write_binary(value, ctx, schema))


def write_binary(value: Any, ctx: Context, schema: SchemaPlan) -> bytes:
    writer = Writer(ctx, schema)
    return writer.serialize(writer.build(value))


def write_json(value: Any, ctx: Context, schema: SchemaPlan, newline: bool = False) -> bytes:
    writer = Writer(ctx, schema, protojson=True)
    message = writer.check(writer.build(value))
    return protojson.dumps(message, ctx, schema, names=_option(ctx, "names", "json"),
                           emit_defaults=_flag(ctx, "emit_defaults"), indent=_option(ctx, "indent", "0") == "2",
                           newline=newline)


# -- streams -------------------------------------------------------------------------------------

def record_splitter(ctx: Context):
    """binary: message bodies (each decoded alone); delimited: framed messages; json: lines."""
    encoding = ctx.encoding or "binary"
    if encoding == "json":
        return json_codec.LineSplitter(ctx)
    return DelimitedSplitter(ctx, keep_prefix=encoding == "delimited")


# -- the schema and options ------------------------------------------------------------------------

def _schema(ctx: Context, side: str) -> SchemaPlan:
    encoding = ctx.encoding or "binary"
    if _BACKEND != "upb":  # e.g. PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python: slower, and untested here
        raise Unimplemented(Issue(Code.UNIMPLEMENTED, f"{side}.format", "the protobuf codec needs protobuf's upb "
                                  f"backend; this process runs {_BACKEND!r} (unset PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION)"))
    schema = ctx.schema
    if schema is None:
        raise InvalidRequest(Issue(Code.INVALID_SCHEMA, f"{side}.schema",
                                   f"protobuf/{encoding} needs a schema: set {side}.schema to the .proto text "
                                   f"(or a FileDescriptorSet) and {side}.message_type to the message's full name"))
    if getattr(schema.source, "type", "protobuf") != "protobuf":
        raise InvalidRequest(Issue(Code.INVALID_SCHEMA, f"{side}.schema",
                                   f"protobuf uses protobuf schemas, not {schema.source.type} ones"))
    if not schema.source.message_type:
        descriptor = schema.compiled.DESCRIPTOR
        defined = ", ".join(sorted(_message_names(descriptor.file))) or "none"
        raise InvalidRequest(Issue(Code.INVALID_REQUEST, f"{side}.message_type",
                                   f"protobuf/{encoding} needs {side}.message_type, the full name of the message "
                                   f"the payload holds; the schema defines: {defined}"))
    _check_options(ctx, side)
    return schema_plan(schema.compiled.DESCRIPTOR, schema.shape)


def _message_names(file) -> list[str]:
    names = []

    def visit(descriptor) -> None:
        if descriptor.GetOptions().map_entry:
            return
        names.append(descriptor.full_name)
        for nested in descriptor.nested_types:
            visit(nested)

    for descriptor in file.message_types_by_name.values():
        visit(descriptor)
    return names


def _check_options(ctx: Context, side: str) -> None:
    for name, value in ctx.options.items():
        allowed = _OPTION_VALUES.get(name)
        if allowed is not None and value not in allowed:
            raise InvalidRequest(Issue(Code.INVALID_REQUEST, f"{side}.options",
                                       f"option {name}={value!r}: use {' or '.join(allowed)}"))


def _option(ctx: Context, name: str, default: str) -> str:
    return ctx.options.get(name, default)


def _flag(ctx: Context, name: str) -> bool:
    return ctx.options.get(name, "false") == "true"


def _checkpoint(ctx: Context) -> None:
    checkpoint = getattr(ctx, "checkpoint", None)
    if checkpoint is not None:
        checkpoint()


def _check_lengths(value: Any, ctx: Context, path: str) -> None:
    """Strings and bytes past max_string_bytes (looked for only in payloads larger than the limit)."""
    limit = ctx.limits.max_string_bytes
    if isinstance(value, dict):
        for key, item in value.items():
            _check_lengths(item, ctx, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_lengths(item, ctx, f"{path}/{index}")
    elif isinstance(value, (str, bytes)) and len(value) > limit:
        size = len(value.encode("utf-8")) if isinstance(value, str) else len(value)
        if size > limit:
            raise ctx.over_limit("max_string_bytes", f"a string or bytes value of {size} bytes", path=path)


__all__ = [
    "DESCRIPTION", "ENCODINGS", "MessageDict", "NAME", "SCHEMA_TYPES", "decode", "encode", "encode_record",
    "read_binary", "read_json", "record_splitter", "write_binary", "write_json",
]
