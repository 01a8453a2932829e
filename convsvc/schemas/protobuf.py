"""Protobuf schemas: .proto text (or a FileDescriptorSet) -> descriptor pool, message class, Shape."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from convsvc.model.shape import Field, Kind, Shape
from convsvc.schemas import CompiledSchema, SchemaError, SchemaSource

_SCALARS = {
    FieldDescriptor.TYPE_DOUBLE: Kind.DOUBLE, FieldDescriptor.TYPE_FLOAT: Kind.FLOAT,
    FieldDescriptor.TYPE_INT64: Kind.INT64, FieldDescriptor.TYPE_SINT64: Kind.INT64,
    FieldDescriptor.TYPE_SFIXED64: Kind.INT64, FieldDescriptor.TYPE_UINT64: Kind.UINT64,
    FieldDescriptor.TYPE_FIXED64: Kind.UINT64, FieldDescriptor.TYPE_INT32: Kind.INT32,
    FieldDescriptor.TYPE_SINT32: Kind.INT32, FieldDescriptor.TYPE_SFIXED32: Kind.INT32,
    FieldDescriptor.TYPE_UINT32: Kind.UINT32, FieldDescriptor.TYPE_FIXED32: Kind.UINT32,
    FieldDescriptor.TYPE_BOOL: Kind.BOOL, FieldDescriptor.TYPE_STRING: Kind.STRING,
    FieldDescriptor.TYPE_BYTES: Kind.BYTES,
}
_WRAPPERS = {
    "google.protobuf.DoubleValue": Kind.DOUBLE, "google.protobuf.FloatValue": Kind.FLOAT,
    "google.protobuf.Int64Value": Kind.INT64, "google.protobuf.UInt64Value": Kind.UINT64,
    "google.protobuf.Int32Value": Kind.INT32, "google.protobuf.UInt32Value": Kind.UINT32,
    "google.protobuf.BoolValue": Kind.BOOL, "google.protobuf.StringValue": Kind.STRING,
    "google.protobuf.BytesValue": Kind.BYTES,
}
_MAIN_FILE = "schema.proto"


def compile(source: SchemaSource) -> CompiledSchema:
    file_set = descriptor_set_of(source)
    pool = descriptor_pool.DescriptorPool()
    for file_proto in file_set.file:
        pool.Add(file_proto)
    name = source.message_type or _first_message(file_set)
    try:
        descriptor = pool.FindMessageTypeByName(name)
    except KeyError:
        raise SchemaError(f"message type {name!r} is not defined in the schema", "message_type") from None
    return CompiledSchema(source=source, shape=_Translator().shape(descriptor),
                          compiled=message_factory.GetMessageClass(descriptor))


def descriptor_set_of(source: SchemaSource) -> descriptor_pb2.FileDescriptorSet:
    if source.descriptor_set:
        file_set = descriptor_pb2.FileDescriptorSet()
        try:
            file_set.ParseFromString(source.descriptor_set)
        except Exception as error:  # DecodeError: not a FileDescriptorSet
            raise SchemaError(f"descriptor_set is not a serialized FileDescriptorSet: {error}") from None
        return file_set
    return compile_proto_text(source.text, {reference.name: reference.text for reference in source.references})


def compile_proto_text(text: str, imports: dict[str, str] | None = None) -> descriptor_pb2.FileDescriptorSet:
    """Run protoc (grpcio-tools) on .proto text; `imports` maps import paths to their text.
    The well-known types (google/protobuf/*.proto) are always importable."""
    import grpc_tools

    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    with tempfile.TemporaryDirectory(prefix="convsvc-proto-") as tmp:
        root = pathlib.Path(tmp)
        for path, content in {**(imports or {}), _MAIN_FILE: text}.items():
            target = root / path
            if root not in target.resolve().parents:
                raise SchemaError(f"import path {path!r} leaves the schema directory")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        out = root / "out.pb"
        # A child process: protoc reports errors on its stderr, which we return to the caller.
        done = subprocess.run(
            [sys.executable, "-m", "grpc_tools.protoc", f"-I{root}", f"-I{well_known}",
             f"--descriptor_set_out={out}", "--include_imports", _MAIN_FILE],
            capture_output=True, text=True, timeout=60, cwd=root, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        if done.returncode != 0:
            message = done.stderr.strip().replace(str(root) + os.sep, "")
            raise SchemaError(f"invalid .proto: {message}")
        file_set = descriptor_pb2.FileDescriptorSet()
        file_set.ParseFromString(out.read_bytes())
        return file_set


def shape_of(descriptor: Descriptor) -> Shape:
    """The Shape of any message type of a pool (e.g. the payload type of a google.protobuf.Any)."""
    return _Translator().shape(descriptor)


def _first_message(file_set: descriptor_pb2.FileDescriptorSet) -> str:
    main = file_set.file[-1]  # --include_imports lists dependencies first
    if not main.message_type:
        raise SchemaError("the schema defines no message type", "message_type")
    package = f"{main.package}." if main.package else ""
    return package + main.message_type[0].name


class _Translator:
    """Message descriptor -> Shape; messages are shared by full name so recursion terminates."""

    def __init__(self) -> None:
        self.messages: dict[str, Shape] = {}

    def shape(self, descriptor: Descriptor) -> Shape:
        full = descriptor.full_name
        if full in self.messages:
            return self.messages[full]
        if full == "google.protobuf.Timestamp":
            return Shape(Kind.TIMESTAMP, unit="nanos", name=full)
        if full == "google.protobuf.Duration":
            return Shape(Kind.DURATION, name=full)
        if full in ("google.protobuf.Value", "google.protobuf.Struct", "google.protobuf.ListValue"):
            return Shape(Kind.ANY, name=full)
        if full in _WRAPPERS:
            return Shape(Kind.UNION, name=full, branches=(Shape(Kind.NULL), Shape(_WRAPPERS[full])))
        shape = Shape(Kind.RECORD, name=full)
        self.messages[full] = shape
        for field in descriptor.fields:
            shape.fields.append(Field(name=field.name, shape=self._field_shape(field), number=field.number,
                                      json_name=field.json_name if field.json_name != field.name else ""))
        return shape

    def _field_shape(self, field: FieldDescriptor) -> Shape:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            return Shape(Kind.MAP, items=self._single(field.message_type.fields_by_name["value"]))
        single = self._single(field)
        if field.is_repeated:
            return Shape(Kind.ARRAY, items=single)
        return single

    def _single(self, field: FieldDescriptor) -> Shape:
        if field.type == FieldDescriptor.TYPE_ENUM:
            return Shape(Kind.ENUM, name=field.enum_type.full_name,
                         symbols=tuple(value.name for value in field.enum_type.values))
        if field.message_type is not None:
            return self.shape(field.message_type)
        return Shape(_SCALARS[field.type])
