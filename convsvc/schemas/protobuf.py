"""Protobuf schemas: .proto text (or a FileDescriptorSet) -> descriptor pool, message class, Shape."""

from __future__ import annotations

import ast
import os
import pathlib
import tempfile
import threading

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
MAIN_FILE = "schema.proto"  # the name a text schema compiles under (imports use their own names)
_PROTOC_LOCK = threading.Lock()  # protoc's compiler is not documented as thread-safe


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
    """Compile .proto text; `imports` maps import paths to their text. The well-known types
    (google/protobuf/*.proto) are always importable. Every file, dependencies first (protoc's
    --include_imports order)."""
    files = protoc({**(imports or {}), MAIN_FILE: text}, MAIN_FILE)
    ordered: dict[str, descriptor_pb2.FileDescriptorProto] = {}

    def visit(name: str) -> None:
        if name in ordered or name not in files:
            return
        for dependency in files[name].dependency:
            visit(dependency)
        ordered[name] = files[name]

    visit(MAIN_FILE)
    return descriptor_pb2.FileDescriptorSet(file=list(ordered.values()))


class ProtocError(SchemaError):
    """protoc refused the text: every problem as (file, line, column, message), 1-based; the first
    one is the message (`invalid .proto: schema.proto:2:13: "strin" is not defined.`)."""

    def __init__(self, problems: list[tuple[str, int, int, str]]) -> None:
        self.problems = problems
        file, line, column, message = problems[0]
        super().__init__(f"invalid .proto: {file}:{line}:{column}: {message}")


def protoc(files: dict[str, str], main: str) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    """Compile `main` with protoc in this process (grpcio-tools' compiler, no child process); `files`
    maps import paths to text. Returns the descriptors of `main` and of everything it imports."""
    from grpc_tools import _protoc_compiler

    with tempfile.TemporaryDirectory(prefix="convsvc-proto-") as tmp:
        root = pathlib.Path(tmp)
        for path, content in files.items():
            target = root / path
            if root not in target.resolve().parents:
                raise SchemaError(f"import path {path!r} leaves the schema directory")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        with _PROTOC_LOCK:
            try:
                generated = _protoc_compiler.get_protos(main.encode(), [str(root).encode(), _include_dir().encode()])
            except _protoc_compiler.ProtocErrors as error:
                raise ProtocError([(_text(item.filename), item.line + 1, item.column + 1, _text(item.message))
                                   for item in error.errors()]) from None
    out = {}
    for _module, code in generated:
        proto = _descriptor_in(code)
        if proto is not None:
            out[proto.name] = proto
    if main not in out:
        raise SchemaError("invalid .proto: protoc produced no descriptor")
    return out


def _text(value: str | bytes) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _include_dir() -> str:
    import grpc_tools

    return os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")


def _descriptor_in(code: bytes) -> descriptor_pb2.FileDescriptorProto | None:
    """protoc's Python output embeds the serialized FileDescriptorProto in one AddSerializedFile(b'...')
    call: read it from the syntax tree rather than executing generated code."""
    for node in ast.walk(ast.parse(code)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "AddSerializedFile" and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, bytes)):
            return descriptor_pb2.FileDescriptorProto.FromString(node.args[0].value)
    return None


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
