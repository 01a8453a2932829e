"""A parsed message -> its canonical value (docs/protobuf-mapping.md, "Canonical values").

upb parses (C); this walks the parsed message once through ListFields(), so only the fields that are
present cost anything, with a per-type plan deciding each field's conversion.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError
from google.protobuf.unknown_fields import UnknownFieldSet


from convsvc.formats.protobuf_codec import wellknown as wk
from convsvc.formats.protobuf_codec.plan import (
    ANY, DURATION, ENUM, FIELD_MASK, FLOAT, LIST_VALUE, MAX_MESSAGE_DEPTH, MESSAGE, SCALAR, STRING, STRUCT,
    READ_AS_IS, READ_LIST, READ_MAP, READ_MESSAGE, READ_MESSAGES, READ_ONE, READ_STRINGS, TIMESTAMP, VALUE, WKT,
    FieldPlan, MessagePlan, linked_plan,
)
from convsvc.formats.protobuf_codec.wire import encode_unknown_fields, find_problem
from convsvc.model import Code, Context
from convsvc.model.conform import shortest_float32
from convsvc.model.positions import child_pointer

_KEY_TEXT = {True: "true", False: "false"}


class MessageDict(dict):
    """A decoded message (a plain dict to everyone) that also carries the unknown fields found under
    it: (JSON Pointer of the message that held them, their wire bytes). The Protobuf writer merges
    them back; every other codec sees a dict."""

    __slots__ = ("unknown_fields",)


class Reader:
    """Converts parsed messages of one payload, collecting unknown fields as it goes."""

    def __init__(self, ctx: Context, *, emit_defaults: bool, keep_unknown: bool) -> None:
        self.ctx = ctx
        self.max_depth = ctx.limits.max_depth
        self.emit_defaults = emit_defaults
        self.keep_unknown = keep_unknown
        self.unknown: list[tuple[str, bytes]] = []
        self.pool = None
        self.in_any = 0

    def document(self, message, plan: MessagePlan) -> Any:
        self.pool = plan.descriptor.file.pool
        value = self.message(message, plan, "", 1)
        if self.unknown and isinstance(value, dict):
            if self.keep_unknown:
                value = MessageDict(value)
                value.unknown_fields = tuple(self.unknown)
            else:
                for path, _ in self.unknown:
                    self.ctx.note(Code.UNKNOWN_FIELDS_DROPPED, "fields the schema does not define (unknown "
                                  "field numbers) have no place in the target format", path=path)
        return value

    # -- messages ----------------------------------------------------------------------------------

    def message(self, message, plan: MessagePlan, path: str, depth: int) -> Any:
        if depth > self.max_depth:
            raise self.ctx.over_limit("max_depth", "nesting too deep", path=path)
        if plan.wkt:
            if len(UnknownFieldSet(message)):  # no canonical place to keep them
                self.ctx.note(Code.UNKNOWN_FIELDS_DROPPED, f"fields {plan.full_name} does not define are "
                              "dropped", path=path)
            return self.well_known(message, plan, path, depth)
        out: dict[str, Any] = {}
        readers = plan.readers
        full = depth >= self.max_depth  # a list or map in this message would nest past the limit
        for descriptor, value in message.ListFields():
            entry = readers.get(descriptor)
            if entry is None:  # an extension: not part of the mapping
                self.ctx.note(Code.UNKNOWN_FIELDS_DROPPED, f"extension {descriptor.full_name} is not "
                              "converted (extensions are not supported)", path=path)
                continue
            name, action, field = entry
            if full and action not in (READ_AS_IS, READ_MESSAGE, READ_ONE):
                raise self.ctx.over_limit("max_depth", "nesting too deep", path=f"{path}/{field.token}")
            if action == READ_AS_IS:
                out[name] = value
            elif action == READ_LIST:
                out[name] = list(value)
            elif action == READ_MESSAGE:
                out[name] = self.message(value, field.sub, f"{path}/{field.token}", depth + 1)
            elif action == READ_MESSAGES:
                sub = field.sub
                base = f"{path}/{field.token}/"
                out[name] = [self.message(item, sub, f"{base}{index}", depth + 2) for index, item in enumerate(value)]
            elif action == READ_MAP:
                out[name] = self.map(value, field, path, depth)
            elif action == READ_ONE:
                out[name] = self.single(value, field, f"{path}/{field.token}", depth + 1)
            elif action == READ_STRINGS:
                items = list(value)
                if bytes in map(type, items):  # proto2 text that is not UTF-8
                    index = list(map(type, items)).index(bytes)
                    self.single(items[index], field, f"{path}/{field.token}/{index}", depth + 2)
                out[name] = items
            else:
                base = f"{path}/{field.token}/"
                out[name] = [self.single(item, field, f"{base}{index}", depth + 2) for index, item in enumerate(value)]
        if self.emit_defaults and plan.no_presence:
            self.fill_defaults(out, plan)
            if full:
                for name, value in out.items():
                    if type(value) in (list, dict):  # an empty repeated field or map, emitted
                        raise self.ctx.over_limit("max_depth", "nesting too deep", path=f"{path}/{name}")
        unknown = UnknownFieldSet(message)
        if len(unknown):
            self.found_unknown(path, encode_unknown_fields(unknown))
        return out

    def single(self, value: Any, field: FieldPlan, path: str, depth: int) -> Any:
        """One value of a field whose kind needs converting (not SCALAR)."""
        kind = field.kind
        if kind == STRING:
            if value.__class__ is bytes:  # proto2 lets invalid UTF-8 through; canonical text cannot hold it
                raise self.ctx.refuse(Code.INVALID_UTF8, f"string field {field.name} holds bytes that are not "
                                      "valid UTF-8", path=path)
            return value
        if kind == ENUM:
            name = field.enum.names.get(value)
            if name is not None:
                return name
            self.ctx.note(Code.UNKNOWN_ENUM_NUMBER, f"{value} is not a value of {field.enum.full_name}; "
                          "kept as the number", path=path)
            return value
        if kind == MESSAGE:
            return self.message(value, field.plan, path, depth)
        if kind == WKT:
            return self.message(value, field.plan, path, depth)
        if kind == FLOAT:  # the shortest decimal naming the float32: 0.1, not 0.10000000149011612
            return shortest_float32(value)
        return value

    def map(self, container, field: FieldPlan, path: str, depth: int) -> dict[str, Any]:
        base = f"{path}/{field.token}"
        string_keys = field.key_type == FieldDescriptor.TYPE_STRING
        out = {}
        kind = field.kind
        for key in sorted(container):  # upb's map order varies between processes; sorted, as deterministic writes are
            text = key if string_keys else _KEY_TEXT.get(key) if key.__class__ is bool else str(key)
            if text.__class__ is bytes:
                raise self.ctx.refuse(Code.INVALID_UTF8, f"a key of map {field.name} is not valid UTF-8", path=base)
            value = container[key]
            if kind == SCALAR:
                out[text] = value
            else:
                out[text] = self.single(value, field, _child(base, text), depth + 2)
        return out

    def fill_defaults(self, out: dict, plan: MessagePlan) -> None:
        """Fields without presence at their default value (what ProtoJSON's always-print option shows)."""
        for field in plan.no_presence:
            if field.name in out:
                continue
            if field.is_map:
                out[field.name] = {}
            elif field.repeated:
                out[field.name] = []
            elif field.kind == ENUM:
                out[field.name] = field.enum.names.get(0, field.enum.default_name)
            else:
                out[field.name] = field.descriptor.default_value

    def found_unknown(self, path: str, raw: bytes) -> None:
        if self.in_any:  # inside an Any's payload: no place to keep them (docs: unknown fields)
            self.ctx.note(Code.UNKNOWN_FIELDS_DROPPED, "fields the schema does not define, inside a "
                          "google.protobuf.Any payload, are dropped", path=path)
            return
        self.unknown.append((path, raw))

    # -- well-known types --------------------------------------------------------------------------

    def well_known(self, message, plan: MessagePlan, path: str, depth: int) -> Any:
        wkt = plan.wkt
        try:
            if wkt == TIMESTAMP:
                return wk.timestamp_to_canonical(message.seconds, message.nanos)
            if wkt == DURATION:
                return wk.duration_text(message.seconds, message.nanos)
        except wk.OutOfRange as error:
            raise self.ctx.refuse(Code.VALUE_OUT_OF_RANGE, str(error), path=path) from None
        if wkt == STRUCT:
            return self.struct(message, path, depth)
        if wkt == VALUE:
            return self.value(message, path, depth)
        if wkt == LIST_VALUE:
            return self.list_value(message, path, depth)
        if wkt == ANY:
            return self.any(message, path, depth)
        if wkt == FIELD_MASK:
            return wk.field_mask_to_canonical(list(message.paths))
        field = plan.fields[0]  # a wrapper: its `value`
        return self.single(message.value, field, path, depth) if field.kind != SCALAR else message.value

    def struct(self, message, path: str, depth: int) -> dict[str, Any]:
        fields = message.fields
        return {key: self.value(fields[key], _child(path, key), depth + 1) for key in sorted(fields)}  # see map()

    def list_value(self, message, path: str, depth: int) -> list[Any]:
        return [self.value(item, f"{path}/{index}", depth + 1) for index, item in enumerate(message.values)]

    def value(self, message, path: str, depth: int) -> Any:
        if depth > self.max_depth:
            raise self.ctx.over_limit("max_depth", "nesting too deep", path=path)
        which = message.WhichOneof("kind")
        if which == "number_value":
            return message.number_value
        if which == "string_value":
            return message.string_value
        if which == "bool_value":
            return message.bool_value
        if which == "struct_value":
            return self.struct(message.struct_value, path, depth)
        if which == "list_value":
            return self.list_value(message.list_value, path, depth)
        return None  # null_value, or no kind set (documented: both read as null)

    def any(self, message, path: str, depth: int) -> dict[str, Any]:
        type_url = message.type_url
        if not type_url and not message.value:
            return {}
        inner = resolve_any(type_url, self.pool, self.ctx, path)
        try:
            payload = inner.cls.FromString(message.value)
        except DecodeError as error:
            problem = find_problem(message.value, inner.descriptor, check_utf8="UTF-8" in str(error),
                                   max_depth=MAX_MESSAGE_DEPTH, path=path)
            where = f" ({problem.message} at byte {problem.offset} of the Any's value)" if problem else ""
            raise self.ctx.refuse(Code.SYNTAX_ERROR, f"the google.protobuf.Any value is not a valid "
                                  f"{inner.full_name}{where}", path=path) from None
        self.in_any += 1
        try:
            content = self.message(payload, inner, path, depth + 1)
        finally:
            self.in_any -= 1
        if inner.wkt:
            return {"@type": type_url, "value": content}
        return {"@type": type_url, **content}


def _child(path: str, key: str) -> str:
    """child_pointer without its cost for the usual key that needs no escaping."""
    return child_pointer(path, key) if "/" in key or "~" in key else f"{path}/{key}"


def resolve_any(type_url: str, pool, ctx: Context, path: str) -> MessagePlan:
    """The plan of the type an Any names, which must be defined in the schema's descriptor pool."""
    name = type_url.rpartition("/")[2]
    try:
        descriptor = pool.FindMessageTypeByName(name)
    except KeyError:
        raise ctx.refuse(Code.SCHEMA_VIOLATION, f"google.protobuf.Any holds {type_url!r}, a type the schema does "
                         "not define: only types of the schema's descriptor pool (its files and their imports) "
                         "can be converted", path=child_pointer(path, "@type")) from None
    return linked_plan(descriptor)
