"""Confluent's wire format for Protobuf: the byte 00, the schema's registry id (4 bytes, big-endian),
the message indexes that pick the message inside the schema's file, then the message."""

from __future__ import annotations

import dataclasses

from google.protobuf import descriptor_pb2

from convsvc.formats.protobuf_codec.wire import encode_varint
from convsvc.model import Code, Context, InvalidRequest, Issue, Unimplemented
from convsvc.schemas import CompiledSchema, compile_schema

MAGIC = b"\x00"
_MAX_INDEXES = 100  # nesting of message types: far past any real schema, bounded against hostile counts


def read_frame(data: bytes, ctx: Context) -> tuple[CompiledSchema, int]:
    """(the schema of the framed message, the offset of its body)."""
    if data[:1] != MAGIC:
        raise ctx.refuse(Code.SYNTAX_ERROR, "not a Confluent-framed message (it starts with the byte 00)", offset=0)
    if len(data) < 5:
        raise ctx.refuse(Code.SYNTAX_ERROR, "unexpected end of data in the schema id", offset=len(data))
    schema_id = int.from_bytes(data[1:5], "big")
    count, pos = _zigzag(data, 5, ctx)
    indexes = [0] if count == 0 else []
    if not 0 <= count <= _MAX_INDEXES:
        raise ctx.refuse(Code.SYNTAX_ERROR, f"{count} message indexes in the frame", offset=5)
    for _ in range(count):
        index, pos = _zigzag(data, pos, ctx)
        indexes.append(index)
    if ctx.schema_by_id is None:
        raise Unimplemented(Issue(Code.UNIMPLEMENTED, "source.encoding",
                                  f"the payload names schema id {schema_id}: protobuf/confluent needs a registry"))
    writer = ctx.schema_by_id(schema_id)
    if writer.source.type != "protobuf":
        raise ctx.refuse(Code.SCHEMA_VIOLATION, f"schema {schema_id} is a {writer.source.type} schema, not Protobuf",
                         offset=1)
    name = _message_at(writer, indexes, ctx)
    return compile_schema(dataclasses.replace(writer.source, message_type=name)), pos


def frame(schema: CompiledSchema, schema_id: int | None, body: bytes) -> bytes:
    if schema_id is None:
        raise InvalidRequest(Issue(Code.INVALID_SCHEMA, "target.schema", "protobuf/confluent writes the schema's "
                                   "registry id: name the schema by id or subject, not inline"))
    indexes = _indexes_of(schema)
    head = b"\x00" if indexes == [0] else _varint_zigzag(len(indexes)) + b"".join(map(_varint_zigzag, indexes))
    return MAGIC + schema_id.to_bytes(4, "big") + head + body


def _file_proto(schema: CompiledSchema) -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto()
    schema.compiled.DESCRIPTOR.file.CopyToProto(proto)
    return proto


def _message_at(schema: CompiledSchema, indexes: list[int], ctx: Context) -> str:
    """The full name of the message the indexes pick (top-level index, then nested ones)."""
    file = _file_proto(schema)
    names, types = [file.package] if file.package else [], file.message_type
    for index in indexes:
        if not 0 <= index < len(types):
            raise ctx.refuse(Code.SCHEMA_VIOLATION, f"message index {indexes} names no message of the schema",
                             offset=5)
        names.append(types[index].name)
        types = types[index].nested_type
    return ".".join(names)


def _indexes_of(schema: CompiledSchema) -> list[int]:
    file = _file_proto(schema)
    package = f"{file.package}." if file.package else ""
    path = schema.compiled.DESCRIPTOR.full_name.removeprefix(package).split(".")
    indexes, types = [], file.message_type
    for name in path:
        index = [message.name for message in types].index(name)
        indexes.append(index)
        types = types[index].nested_type
    return indexes


def _zigzag(data: bytes, pos: int, ctx: Context) -> tuple[int, int]:
    """A zigzag varint (Confluent writes the index count and indexes so)."""
    value = shift = 0
    start = pos
    while True:
        if pos >= len(data) or pos - start >= 10:
            raise ctx.refuse(Code.SYNTAX_ERROR, "a malformed varint in the message indexes", offset=start)
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return (value >> 1) ^ -(value & 1), pos


def _varint_zigzag(number: int) -> bytes:
    return encode_varint((number << 1) ^ (number >> 63))
