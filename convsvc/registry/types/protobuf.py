"""Protobuf schemas: .proto text compiled at run time by grpcio-tools' protoc (well-known imports
included) or a base64 FileDescriptorProto (what Confluent's serializers send); a deterministic .proto
rendering of the descriptor as the canonical form; and Confluent's Protobuf compatibility rules."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import importlib
import re
from collections.abc import Callable, Sequence

from google.protobuf import descriptor_pb2, descriptor_pool, text_encoding, text_format
from google.protobuf.descriptor_pb2 import FieldDescriptorProto as F

from convsvc.registry.errors import InvalidSchema
from convsvc.registry.model import Reason, SchemaType
from convsvc.registry.types import Dependency, Parsed
from convsvc.schemas import SchemaError
from convsvc.schemas.protobuf import MAIN_FILE, ProtocError, protoc

_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")


@dataclasses.dataclass(frozen=True, eq=False)
class ProtoSchema:
    """A compiled schema: its file, and every file it imports (references and well-known types)."""

    file: descriptor_pb2.FileDescriptorProto
    deps: dict[str, descriptor_pb2.FileDescriptorProto]  # name -> file, dependencies before dependents

    def serialized(self) -> str:
        """Base64 of the FileDescriptorProto: Confluent's `format=serialized`."""
        return base64.standard_b64encode(self.file.SerializeToString()).decode("ascii")

    @functools.cached_property
    def pool(self) -> descriptor_pool.DescriptorPool:
        pool = descriptor_pool.DescriptorPool()
        for dep in self.deps.values():
            pool.Add(dep)
        pool.Add(self.file)
        return pool

    def message_names(self) -> list[str]:
        """Full names of the top-level messages, in declaration order (Confluent message index 0, 1, ...)."""
        prefix = f"{self.file.package}." if self.file.package else ""
        return [prefix + message.name for message in self.file.message_type]


# -- well-known types -------------------------------------------------------------------------------

def _well_known(name: str) -> descriptor_pb2.FileDescriptorProto | None:
    """google/protobuf/*.proto from the protobuf runtime (the same files protoc bundles)."""
    if not name.startswith("google/protobuf/") or not name.endswith(".proto"):
        return None
    module = "google.protobuf." + name.removeprefix("google/protobuf/").removesuffix(".proto").replace("/", ".")
    try:
        descriptor = importlib.import_module(module + "_pb2").DESCRIPTOR
    except ImportError:
        return None
    proto = descriptor_pb2.FileDescriptorProto()
    descriptor.CopyToProto(proto)
    return proto


# -- parsing ----------------------------------------------------------------------------------------

def parse(text: str, dependencies: Sequence[Dependency]) -> Parsed:
    dep_files: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    for dep in dependencies:  # deps-first: each one compiles against the ones before it
        dep_files[dep.name] = _compile(dep.text, dep.name, dep_files, what=f"reference {dep.name!r}").file
    schema = _compile(text, MAIN_FILE, dep_files, what="schema")
    return Parsed(type=SchemaType.PROTOBUF, canonical=render(schema.file), normalized=render(schema.file, True),
                  value=schema)


def _compile(text: str, name: str, dep_files: dict, what: str) -> ProtoSchema:
    stripped = text.strip()
    if stripped and _BASE64.match(stripped) and not stripped.startswith(("syntax", "package", "message")):
        schema = _from_serialized(stripped, name, dep_files, what)
        if schema is not None:
            return schema
    return _from_text(text, name, dep_files, what)


def _closure(file: descriptor_pb2.FileDescriptorProto, dep_files: dict, what: str) -> dict:
    """The transitive imports of a file, deps-first; a missing one is an invalid schema."""
    out: dict[str, descriptor_pb2.FileDescriptorProto] = {}

    def visit(proto: descriptor_pb2.FileDescriptorProto) -> None:
        for dep in proto.dependency:
            if dep in out:
                continue
            found = dep_files.get(dep) or _well_known(dep)
            if found is None:
                raise InvalidSchema(f"{what} imports {dep!r}, which is neither a reference nor a well-known type",
                                    path=f"/import/{dep}")
            visit(found)
            out[dep] = found

    visit(file)
    return out


def _from_serialized(text: str, name: str, dep_files: dict, what: str) -> ProtoSchema | None:
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
        file = descriptor_pb2.FileDescriptorProto.FromString(data)
    except (binascii.Error, ValueError, Exception):  # not base64 or not a descriptor: try it as text
        return None
    if not file.name and not file.message_type and not file.enum_type:
        return None
    if not file.name:
        file.name = name
    schema = ProtoSchema(file=file, deps=_closure(file, dep_files, what))
    try:
        schema.pool  # validates names, types and numbers as protoc would
    except Exception as error:
        raise InvalidSchema(f"{what}: invalid FileDescriptorProto: {error}") from None
    return schema


def _from_text(text: str, name: str, dep_files: dict, what: str) -> ProtoSchema:
    sources = {dep_name: render(dep) for dep_name, dep in dep_files.items()}  # references under their import names
    try:
        files = protoc({**sources, name: text}, name)
    except ProtocError as error:
        problems = [("" if file == name else f"/references/{file}", f"line {line}, column {column}: {message}",
                     line, column) for file, line, column, message in error.problems]
        first = problems[0]
        raise InvalidSchema(f"{what}: {first[1]}", path=first[0], line=first[2], column=first[3],
                            problems=[(path, message) for path, message, _, _ in problems]) from None
    except SchemaError as error:
        raise InvalidSchema(f"{what}: {error}") from None
    file = files[name]
    if file.syntax == "editions":
        raise InvalidSchema(f"{what}: Protobuf editions are not supported yet; use proto2 or proto3")
    return ProtoSchema(file=file, deps=_closure(file, dep_files, what))


# -- rendering: descriptor -> .proto text --------------------------------------------------------------

_SCALARS = {
    F.TYPE_DOUBLE: "double", F.TYPE_FLOAT: "float", F.TYPE_INT64: "int64", F.TYPE_UINT64: "uint64",
    F.TYPE_INT32: "int32", F.TYPE_FIXED64: "fixed64", F.TYPE_FIXED32: "fixed32", F.TYPE_BOOL: "bool",
    F.TYPE_STRING: "string", F.TYPE_BYTES: "bytes", F.TYPE_UINT32: "uint32", F.TYPE_SFIXED32: "sfixed32",
    F.TYPE_SFIXED64: "sfixed64", F.TYPE_SINT32: "sint32", F.TYPE_SINT64: "sint64",
}


def _quote(value: str | bytes) -> str:
    data = value.encode("utf-8") if isinstance(value, str) else value
    return '"' + text_encoding.CEscape(data, as_utf8=isinstance(value, str)) + '"'


def _option_value(field, value) -> str:
    if field.type == field.TYPE_ENUM:
        return field.enum_type.values_by_number[value].name if value in field.enum_type.values_by_number else str(value)
    if field.type == field.TYPE_BOOL:
        return "true" if value else "false"
    if field.type == field.TYPE_STRING:
        return _quote(value)
    if field.type == field.TYPE_BYTES:
        return _quote(value)
    if field.type in (field.TYPE_MESSAGE, field.TYPE_GROUP):
        return "{ " + text_format.MessageToString(value, as_one_line=True) + " }"
    return repr(value) if isinstance(value, float) else str(value)


def _options(message, skip: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(name, value) of each set option, extensions as `(full.name)`; unknown custom options (an
    extension whose definition is not in the schema) have no name to print and are dropped."""
    out = []
    for field, value in message.ListFields():
        if field.name in skip and not field.is_extension:
            continue
        name = f"({field.full_name})" if field.is_extension else field.name
        values = value if field.is_repeated else [value]
        out.extend((name, _option_value(field, item)) for item in values)
    return out


def _json_name(name: str) -> str:
    parts = name.split("_")
    return parts[0] + "".join(part[:1].upper() + part[1:] for part in parts[1:])


class _Renderer:
    def __init__(self, file: descriptor_pb2.FileDescriptorProto, normalize: bool) -> None:
        self.file = file
        self.normalize = normalize
        self.proto3 = file.syntax == "proto3"
        self.lines: list[str] = []

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + text if text else "")

    def sorted_options(self, items: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return sorted(items) if self.normalize else items

    def render(self) -> str:
        file = self.file
        self.emit(0, f'syntax = "{file.syntax or "proto2"}";')
        if file.package:
            self.emit(0, f"package {file.package};")
        imports = []
        for index, dep in enumerate(file.dependency):
            kind = "public " if index in file.public_dependency else "weak " if index in file.weak_dependency else ""
            imports.append(f'import {kind}"{dep}";')
        if imports:
            self.emit(0, "")
            for line in (sorted(imports) if self.normalize else imports):
                self.emit(0, line)
        options = self.sorted_options(_options(file.options))
        if options:
            self.emit(0, "")
            for name, value in options:
                self.emit(0, f"option {name} = {value};")
        for message in file.message_type:
            self.emit(0, "")
            self.message(message, 0, f".{file.package}" if file.package else "")
        for enum in file.enum_type:
            self.emit(0, "")
            self.enum(enum, 0)
        for service in file.service:
            self.emit(0, "")
            self.service(service)
        self.extensions(file.extension, 0)
        return "\n".join(self.lines) + "\n"

    def message(self, message: descriptor_pb2.DescriptorProto, depth: int, scope: str) -> None:
        full = f"{scope}.{message.name}"
        maps = {f"{full}.{nested.name}": nested for nested in message.nested_type if nested.options.map_entry}
        self.emit(depth, f"message {message.name} {{")
        for name, value in self.sorted_options(_options(message.options)):
            self.emit(depth + 1, f"option {name} = {value};")
        fields = list(message.field)
        if self.normalize:
            fields.sort(key=lambda field: field.number)
        real_oneofs = {index for index, _ in enumerate(message.oneof_decl)}
        for field in message.field:
            if field.HasField("oneof_index") and field.proto3_optional:
                real_oneofs.discard(field.oneof_index)
        done_oneofs: set[int] = set()
        for field in fields:
            if field.HasField("oneof_index") and field.oneof_index in real_oneofs:
                index = field.oneof_index
                if index in done_oneofs:
                    continue
                done_oneofs.add(index)
                decl = message.oneof_decl[index]
                self.emit(depth + 1, f"oneof {decl.name} {{")
                for name, value in self.sorted_options(_options(decl.options)):
                    self.emit(depth + 2, f"option {name} = {value};")
                for member in fields:
                    if member.HasField("oneof_index") and member.oneof_index == index:
                        self.emit(depth + 2, self.field(member, maps, in_oneof=True))
                self.emit(depth + 1, "}")
            else:
                self.emit(depth + 1, self.field(field, maps))
        self.reserved(message.reserved_range, message.reserved_name, depth + 1, exclusive_end=True)
        for extension_range in message.extension_range:
            end = "max" if extension_range.end - 1 >= 536870911 else str(extension_range.end - 1)
            span = str(extension_range.start) if end == str(extension_range.start) else f"{extension_range.start} to {end}"
            self.emit(depth + 1, f"extensions {span};")
        for nested in message.nested_type:
            if nested.options.map_entry:
                continue
            self.message(nested, depth + 1, full)
        for enum in message.enum_type:
            self.enum(enum, depth + 1)
        self.extensions(message.extension, depth + 1)
        self.emit(depth, "}")

    def type_name(self, field: descriptor_pb2.FieldDescriptorProto) -> str:
        return _SCALARS.get(field.type) or field.type_name

    def field(self, field: descriptor_pb2.FieldDescriptorProto, maps: dict, in_oneof: bool = False) -> str:
        entry = maps.get(field.type_name) if field.type == F.TYPE_MESSAGE else None
        if entry is not None:
            key, value = (next(f for f in entry.field if f.number == n) for n in (1, 2))
            text = f"map<{self.type_name(key)}, {self.type_name(value)}> {field.name} = {field.number}"
        else:
            label = ""
            if not in_oneof:
                if field.label == F.LABEL_REPEATED:
                    label = "repeated "
                elif field.label == F.LABEL_REQUIRED:
                    label = "required "
                elif field.proto3_optional or not self.proto3:
                    label = "optional "
            kind = "group" if field.type == F.TYPE_GROUP else self.type_name(field)
            text = f"{label}{kind} {field.name} = {field.number}"
        extras = []
        if field.HasField("default_value"):
            if field.type == F.TYPE_STRING:
                default = _quote(field.default_value)
            elif field.type == F.TYPE_BYTES:  # descriptor holds C-escaped text already
                default = f'"{field.default_value}"'
            else:
                default = field.default_value
            extras.append(("default", default))
        if field.HasField("json_name") and field.json_name != _json_name(field.name):
            extras.append(("json_name", _quote(field.json_name)))
        extras += self.sorted_options(_options(field.options))
        if extras:
            text += " [" + ", ".join(f"{name} = {value}" for name, value in extras) + "]"
        return text + ";"

    def enum(self, enum: descriptor_pb2.EnumDescriptorProto, depth: int) -> None:
        self.emit(depth, f"enum {enum.name} {{")
        for name, value in self.sorted_options(_options(enum.options)):
            self.emit(depth + 1, f"option {name} = {value};")
        values = sorted(enum.value, key=lambda v: v.number) if self.normalize else list(enum.value)
        for value in values:
            options = _options(value.options)
            suffix = " [" + ", ".join(f"{n} = {v}" for n, v in options) + "]" if options else ""
            self.emit(depth + 1, f"{value.name} = {value.number}{suffix};")
        self.reserved(enum.reserved_range, enum.reserved_name, depth + 1, exclusive_end=False)
        self.emit(depth, "}")

    def reserved(self, ranges, names, depth: int, exclusive_end: bool) -> None:
        spans = []
        for span in ranges:
            end = span.end - 1 if exclusive_end else span.end
            spans.append((span.start, end))
        if self.normalize:
            spans.sort()
        if spans:
            text = ", ".join(str(start) if start == end else f"{start} to {'max' if end >= 536870911 else end}"
                             for start, end in spans)
            self.emit(depth, f"reserved {text};")
        if names:
            listed = sorted(names) if self.normalize else list(names)
            self.emit(depth, "reserved " + ", ".join(_quote(name) for name in listed) + ";")

    def service(self, service: descriptor_pb2.ServiceDescriptorProto) -> None:
        self.emit(0, f"service {service.name} {{")
        for name, value in self.sorted_options(_options(service.options)):
            self.emit(1, f"option {name} = {value};")
        for method in service.method:
            request = ("stream " if method.client_streaming else "") + method.input_type
            response = ("stream " if method.server_streaming else "") + method.output_type
            options = self.sorted_options(_options(method.options))
            if options:
                self.emit(1, f"rpc {method.name}({request}) returns ({response}) {{")
                for name, value in options:
                    self.emit(2, f"option {name} = {value};")
                self.emit(1, "}")
            else:
                self.emit(1, f"rpc {method.name}({request}) returns ({response});")
        self.emit(0, "}")

    def extensions(self, fields, depth: int) -> None:
        by_extendee: dict[str, list] = {}
        for field in fields:
            by_extendee.setdefault(field.extendee, []).append(field)
        for extendee, members in by_extendee.items():
            self.emit(depth, f"extend {extendee} {{")
            for field in members:
                self.emit(depth + 1, self.field(field, {}))
            self.emit(depth, "}")


def render(file: descriptor_pb2.FileDescriptorProto, normalize: bool = False) -> str:
    """The .proto text of a descriptor: comments and formatting are not kept (they are not in the
    descriptor); type names are fully qualified with a leading dot. normalize=True also sorts
    imports, options, fields and enum values by number and reserved ranges, but keeps the order of
    messages (it is what Confluent's message indexes count)."""
    return _Renderer(file, normalize).render()


# -- compatibility: Confluent's Protobuf rules ------------------------------------------------------
# Differences are computed from the writer ("original") to the reader ("update"), as Confluent does for
# BACKWARD (FORWARD swaps the two). Each change has a type; these are the ones a reader survives.

COMPATIBLE_CHANGES = frozenset({
    "MESSAGE_ADDED", "MESSAGE_MOVED", "ENUM_ADDED", "ENUM_REMOVED", "ENUM_CONST_ADDED", "ENUM_CONST_CHANGED",
    "ENUM_CONST_REMOVED", "FIELD_ADDED", "FIELD_REMOVED", "FIELD_NAME_CHANGED",
    "FIELD_STRING_OR_BYTES_LABEL_CHANGED", "ONEOF_ADDED", "ONEOF_REMOVED", "ONEOF_FIELD_ADDED",
})

DESCRIPTIONS = {
    "PACKAGE_CHANGED": "The package at '{path}' in the {update} schema does not match the one in the {original} schema",
    "MESSAGE_REMOVED": "The {update} schema is missing a message at path '{path}' in the {original} schema",
    "FIELD_KIND_CHANGED": "The kind of a field at path '{path}' in the {update} schema does not match its kind in the {original} schema",
    "FIELD_SCALAR_KIND_CHANGED": "The scalar kind of a field at path '{path}' in the {update} schema does not match its kind in the {original} schema",
    "FIELD_NAMED_TYPE_CHANGED": "The type of a field at path '{path}' in the {update} schema does not match its type in the {original} schema",
    "FIELD_NUMERIC_LABEL_CHANGED": "The label (repeated or not) of a numeric field at path '{path}' differs between the {update} and {original} schema",
    "REQUIRED_FIELD_ADDED": "A required field at path '{path}' in the {update} schema is missing in the {original} schema",
    "REQUIRED_FIELD_REMOVED": "The {update} schema is missing a required field at path '{path}' in the {original} schema",
    "ONEOF_FIELD_REMOVED": "The {update} schema is missing a oneof field at path '{path}' in the {original} schema",
    "MULTIPLE_FIELDS_MOVED_TO_ONEOF": "Multiple fields in the oneof at path '{path}' in the {update} schema are outside a oneof in the {original} schema",
    "FIELD_MOVED_TO_EXISTING_ONEOF": "A field in the oneof at path '{path}' in the {update} schema is outside a oneof in the {original} schema, and the oneof already existed",
}

_SCALAR_KIND = {  # groups of scalar types that share a wire encoding and so read each other's data
    F.TYPE_INT32: "GENERAL_NUMBER", F.TYPE_INT64: "GENERAL_NUMBER", F.TYPE_UINT32: "GENERAL_NUMBER",
    F.TYPE_UINT64: "GENERAL_NUMBER", F.TYPE_BOOL: "GENERAL_NUMBER", F.TYPE_ENUM: "GENERAL_NUMBER",
    F.TYPE_SINT32: "SIGNED_NUMBER", F.TYPE_SINT64: "SIGNED_NUMBER",
    F.TYPE_STRING: "STRING_OR_BYTES", F.TYPE_BYTES: "STRING_OR_BYTES",
    F.TYPE_FIXED32: "FIXED32", F.TYPE_SFIXED32: "FIXED32", F.TYPE_FIXED64: "FIXED64", F.TYPE_SFIXED64: "FIXED64",
    F.TYPE_FLOAT: "FLOAT", F.TYPE_DOUBLE: "DOUBLE",
}


@dataclasses.dataclass
class _TypeInfo:
    package: str
    node: object  # DescriptorProto or EnumDescriptorProto
    is_map: bool
    source: str  # the file it comes from


def _collect(schema: ProtoSchema) -> dict[str, _TypeInfo]:
    types: dict[str, _TypeInfo] = {}

    def walk(package: str, scope: str, messages, enums, source: str) -> None:
        for message in messages:
            name = f"{scope}.{message.name}" if scope else message.name
            types[name] = _TypeInfo(package, message, message.options.map_entry, source)
            walk(package, name, message.nested_type, message.enum_type, source)
        for enum in enums:
            name = f"{scope}.{enum.name}" if scope else enum.name
            types[name] = _TypeInfo(package, enum, False, source)

    for file in (*schema.deps.values(), schema.file):
        walk(file.package, file.package, file.message_type, file.enum_type, file.name)
    return types


class _Diff:
    def __init__(self, original: ProtoSchema, update: ProtoSchema) -> None:
        self.original_types = _collect(original)
        self.update_types = _collect(update)
        self.differences: list[tuple[str, str]] = []  # (type, path)
        self.in_progress: set[tuple[int, int]] = set()

    def add(self, kind: str, path: list[str]) -> None:
        self.differences.append((kind, "#/" + "/".join(path)))

    def sub(self) -> "_Diff":
        child = _Diff.__new__(_Diff)
        child.original_types, child.update_types = self.original_types, self.update_types
        child.differences, child.in_progress = [], self.in_progress
        return child

    def compatible(self) -> bool:
        return all(kind in COMPATIBLE_CHANGES for kind, _ in self.differences)

    def file(self, original: descriptor_pb2.FileDescriptorProto, update: descriptor_pb2.FileDescriptorProto) -> None:
        if original.package != update.package:
            self.add("PACKAGE_CHANGED", [])
        self.types(original.message_type, original.enum_type, update.message_type, update.enum_type, [])

    def types(self, o_messages, o_enums, u_messages, u_enums, path: list[str]) -> None:
        o_by_name = {m.name: (i, m) for i, m in enumerate(o_messages)}
        u_by_name = {m.name: (i, m) for i, m in enumerate(u_messages)}
        for name in sorted(set(o_by_name) | set(u_by_name)):
            here = path + [name]
            if name not in u_by_name:
                if not o_by_name[name][1].options.map_entry:
                    self.add("MESSAGE_REMOVED", here)
            elif name not in o_by_name:
                if not u_by_name[name][1].options.map_entry:
                    self.add("MESSAGE_ADDED", here)
            else:
                self.message(o_by_name[name][1], u_by_name[name][1], here)
                if o_by_name[name][0] != u_by_name[name][0]:
                    self.add("MESSAGE_MOVED", here)  # message indexes are relative to the writer's id
        o_enums_by = {e.name: e for e in o_enums}
        u_enums_by = {e.name: e for e in u_enums}
        for name in sorted(set(o_enums_by) | set(u_enums_by)):
            here = path + [name]
            if name not in u_enums_by:
                self.add("ENUM_REMOVED", here)
            elif name not in o_enums_by:
                self.add("ENUM_ADDED", here)
            else:
                self.enum(o_enums_by[name], u_enums_by[name], here)

    def enum(self, original, update, path: list[str]) -> None:
        o_values = {v.number: v for v in original.value}
        u_values = {v.number: v for v in update.value}
        for number in sorted(set(o_values) | set(u_values)):
            if number not in u_values:
                self.add("ENUM_CONST_REMOVED", path + [str(number)])
            elif number not in o_values:
                self.add("ENUM_CONST_ADDED", path + [str(number)])
            elif o_values[number].name != u_values[number].name:
                self.add("ENUM_CONST_CHANGED", path + [str(number)])

    @staticmethod
    def _oneof_members(message) -> tuple[dict[int, object], dict[int, str], dict[str, list]]:
        """Top-level fields by number, oneof name per member number, members per oneof (proto3
        `optional` makes a synthetic oneof, which is not a oneof for these rules)."""
        synthetic = {f.oneof_index for f in message.field if f.HasField("oneof_index") and f.proto3_optional}
        top, member_of, oneofs = {}, {}, {}
        for field in message.field:
            if field.HasField("oneof_index") and field.oneof_index not in synthetic:
                name = message.oneof_decl[field.oneof_index].name
                member_of[field.number] = name
                oneofs.setdefault(name, []).append(field)
            else:
                top[field.number] = field
        return top, member_of, oneofs

    def message(self, original, update, path: list[str]) -> None:
        key = (id(original), id(update))
        if key in self.in_progress:
            return
        self.in_progress.add(key)
        try:
            o_top, o_member_of, o_oneofs = self._oneof_members(original)
            u_top, u_member_of, u_oneofs = self._oneof_members(update)
            o_all = {f.number: f for f in original.field}
            u_all = {f.number: f for f in update.field}
            o_remaining = dict(o_top)
            for name, members in u_oneofs.items():
                moved = existing = 0
                for field in members:
                    if o_remaining.pop(field.number, None) is not None:
                        moved += 1
                    elif field.number in o_member_of:
                        existing += 1
                if moved > 1:
                    self.add("MULTIPLE_FIELDS_MOVED_TO_ONEOF", path + [name])
                elif moved == 1 and existing > 0:
                    self.add("FIELD_MOVED_TO_EXISTING_ONEOF", path + [name])
            for name in sorted(set(o_oneofs) | set(u_oneofs)):
                if name not in u_oneofs:
                    self.add("ONEOF_REMOVED", path + [name])
                elif name not in o_oneofs:
                    self.add("ONEOF_ADDED", path + [name])
                else:
                    o_members = {f.number: f for f in o_oneofs[name]}
                    u_members = {f.number: f for f in u_oneofs[name]}
                    for number in sorted(set(o_members) | set(u_members)):
                        here = path + [name, str(number)]
                        if number not in u_members:
                            if number not in u_all:  # moved elsewhere is not removed
                                self.add("ONEOF_FIELD_REMOVED", here)
                        elif number not in o_members:
                            self.add("ONEOF_FIELD_ADDED", here)
                        else:
                            self.field(o_members[number], u_members[number], here)
            for number in sorted(set(o_remaining) | set(u_top)):
                here = path + [str(number)]
                o_field, u_field = o_remaining.get(number), u_top.get(number)
                if u_field is None:
                    if number in u_all:
                        continue  # moved into a oneof: compared below
                    self.add("REQUIRED_FIELD_REMOVED" if o_field.label == F.LABEL_REQUIRED else "FIELD_REMOVED", here)
                elif o_field is None:
                    if number in o_all:
                        continue  # moved out of a oneof: compared below
                    self.add("REQUIRED_FIELD_ADDED" if u_field.label == F.LABEL_REQUIRED else "FIELD_ADDED", here)
                else:
                    self.field(o_field, u_field, here)
            for number in sorted(set(o_all) & set(u_all)):  # fields whose oneof membership changed
                o_oneof, u_oneof = o_member_of.get(number), u_member_of.get(number)
                if (o_oneof is None and u_oneof is None) or (o_oneof is not None and o_oneof == u_oneof):
                    continue
                self.field(o_all[number], u_all[number], path + [str(number)])
            self.types(original.nested_type, original.enum_type, update.nested_type, update.enum_type, path)
        finally:
            self.in_progress.discard(key)

    def field(self, original, update, path: list[str]) -> None:
        if original.name != update.name:
            self.add("FIELD_NAME_CHANGED", path)
        o_repeated = original.label == F.LABEL_REPEATED and not self._is_map(original, True)
        u_repeated = update.label == F.LABEL_REPEATED and not self._is_map(update, False)
        if o_repeated != u_repeated:
            numeric = _SCALAR_KIND.get(original.type, "STRING_OR_BYTES") not in ("STRING_OR_BYTES",) \
                and original.type not in (F.TYPE_MESSAGE, F.TYPE_GROUP)
            self.add("FIELD_NUMERIC_LABEL_CHANGED" if numeric else "FIELD_STRING_OR_BYTES_LABEL_CHANGED", path)
        self.compare_types(original, update, path)

    def _info(self, type_name: str, original: bool) -> _TypeInfo | None:
        return (self.original_types if original else self.update_types).get(type_name.lstrip("."))

    def _is_map(self, field, original: bool) -> bool:
        info = self._info(field.type_name, original) if field.type == F.TYPE_MESSAGE else None
        return bool(info and info.is_map)

    def _kind(self, field, original: bool) -> str:
        if field.type == F.TYPE_ENUM or field.type in _SCALARS:
            return "SCALAR"
        return "MAP" if self._is_map(field, original) else "MESSAGE"

    def compare_types(self, original, update, path: list[str]) -> None:
        o_kind, u_kind = self._kind(original, True), self._kind(update, False)
        if o_kind != u_kind:
            self.add("FIELD_KIND_CHANGED", path)
        elif o_kind == "SCALAR":
            if _SCALAR_KIND[original.type] != _SCALAR_KIND[update.type]:
                self.add("FIELD_SCALAR_KIND_CHANGED", path)
        elif o_kind == "MAP":
            o_entry = self._info(original.type_name, True).node
            u_entry = self._info(update.type_name, False).node
            for number in (1, 2):  # key, value
                self.compare_types(next(f for f in o_entry.field if f.number == number),
                                   next(f for f in u_entry.field if f.number == number), path)
        else:
            o_info, u_info = self._info(original.type_name, True), self._info(update.type_name, False)
            o_local = _local_name(original.type_name, o_info)
            u_local = _local_name(update.type_name, u_info)
            if o_info is None or u_info is None or o_local != u_local:
                if original.type_name != update.type_name or o_info is None or u_info is None:
                    self.add("FIELD_NAMED_TYPE_CHANGED", path)
                    return
            sub = self.sub()
            sub.message(o_info.node, u_info.node, o_local.split("."))
            self.differences.extend(sub.differences)
            if not sub.compatible():
                self.add("FIELD_NAMED_TYPE_CHANGED", path)


def _local_name(type_name: str, info: _TypeInfo | None) -> str:
    name = type_name.lstrip(".")
    if info is not None and info.package and name.startswith(info.package + "."):
        return name[len(info.package) + 1:]
    return name


def differences(original: ProtoSchema, update: ProtoSchema) -> list[tuple[str, str]]:
    """Every change from `original` to `update` as (type, path), compatible or not."""
    diff = _Diff(original, update)
    diff.file(original.file, update.file)
    return diff.differences


def compatibility(reader: Parsed, writer: Parsed, reader_label: str, writer_label: str) -> list[Reason]:
    reasons = []
    for kind, path in differences(writer.value, reader.value):
        if kind in COMPATIBLE_CHANGES:
            continue
        message = DESCRIPTIONS.get(kind, kind).format(path=path, update=reader_label, original=writer_label)
        reasons.append(Reason(kind, path, message))
    return reasons


RULES: dict[str, Callable] = {  # the rule functions of this type, by element (for docs and tests)
    "file": _Diff.file, "types": _Diff.types, "message": _Diff.message, "field": _Diff.field,
    "enum": _Diff.enum, "field_type": _Diff.compare_types,
}
