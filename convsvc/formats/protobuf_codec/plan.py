"""Per-message-type plans: what each field of a descriptor needs, computed once per type and cached.

The reader (message -> canonical) and the writer (canonical -> message) consult these tables instead of
asking descriptors field by field at run time (msgspec's habit: build once per type, reuse).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from convsvc.model.shape import Kind, Shape

# Well-known types that have their own canonical and ProtoJSON forms (docs/protobuf-mapping.md).
TIMESTAMP = "google.protobuf.Timestamp"
DURATION = "google.protobuf.Duration"
STRUCT = "google.protobuf.Struct"
VALUE = "google.protobuf.Value"
LIST_VALUE = "google.protobuf.ListValue"
ANY = "google.protobuf.Any"
FIELD_MASK = "google.protobuf.FieldMask"
WRAPPERS = frozenset({
    "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
    "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
    "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue",
})
WELL_KNOWN = frozenset({TIMESTAMP, DURATION, STRUCT, VALUE, LIST_VALUE, ANY, FIELD_MASK}) | WRAPPERS

# The reader's dispatch per present field (precomputed: the hot loop compares small ints only).
READ_AS_IS, READ_LIST, READ_MESSAGE, READ_MESSAGES, READ_MAP, READ_ONE, READ_EACH, READ_STRINGS = range(8)

# Field kinds, as small ints for quick dispatch.
SCALAR = 0  # int, bool, str, bytes, double: the library's Python value is already canonical
FLOAT = 1  # float32: read like SCALAR (the exact double); written with a range check
ENUM = 2
MESSAGE = 3
WKT = 4  # a well-known type (plan.wkt names it)
STRING = 5  # str without UTF-8 validation (proto2): upb hands back bytes when it is not UTF-8

MAX_MESSAGE_DEPTH = 100  # protobuf's default recursion limit (upb, C++, Java, Go alike)


@dataclasses.dataclass(eq=False, slots=True)
class EnumPlan:
    full_name: str
    names: dict[int, str]  # number -> first name (aliases share a number)
    numbers: dict[str, int]
    closed: bool  # proto2 enums: unknown numbers are not values of the field
    default_name: str


@dataclasses.dataclass(eq=False, slots=True)
class FieldPlan:
    """One field: how to read it, write it and where it sits."""

    descriptor: FieldDescriptor
    name: str
    json_name: str
    number: int
    token: str  # the name as a JSON Pointer token
    kind: int  # SCALAR | FLOAT | ENUM | MESSAGE | WKT | STRING
    repeated: bool
    is_map: bool
    has_presence: bool
    type: int  # FieldDescriptor.TYPE_*
    enum: EnumPlan | None = None
    message: Descriptor | None = None  # MESSAGE / WKT: the type (for maps: the value's type)
    key_type: int = 0  # maps: FieldDescriptor.TYPE_* of the key
    oneof: str = ""  # the real (not synthetic) oneof this field belongs to
    sub: "MessagePlan | None" = None  # plan_of(message), linked by linked_plan() (types may recurse)
    action: int = 0  # the reader's dispatch (READ_* above)

    @property
    def plan(self) -> "MessagePlan":
        return self.sub if self.sub is not None else plan_of(self.message)


@dataclasses.dataclass(eq=False, slots=True)
class MessagePlan:
    descriptor: Descriptor
    full_name: str
    cls: type
    wkt: str  # the full name when a well-known type, else ""
    fields: list[FieldPlan]  # in field-number order
    by_key: dict[str, FieldPlan]  # proto name and json name
    oneofs: dict[str, list[str]]  # real oneofs with their members' names
    no_presence: list[FieldPlan]  # fields without presence (emit_defaults fills these)
    nested_keys: frozenset[str]  # keys (both names) of fields whose values hold messages or JSON content
    needs_finish: bool = True  # the writer must visit this type's values after conform (set later)
    finish_fields: tuple[FieldPlan, ...] = ()  # the fields `finish` visits (set with needs_finish)
    readers: dict = dataclasses.field(default_factory=dict)  # field descriptor -> (name, action, FieldPlan)


@functools.lru_cache(maxsize=4096)
def plan_of(descriptor: Descriptor) -> MessagePlan:
    """The plan of one message type (descriptors are immutable and shared: cache by descriptor)."""
    fields = []
    oneofs: dict[str, list[str]] = {}
    for field in sorted(descriptor.fields, key=lambda f: f.number):
        fields.append(_field_plan(field))
    for oneof in descriptor.oneofs:
        if len(oneof.fields) > 1:  # proto3 `optional` makes one-member (synthetic) oneofs: nothing to check
            oneofs[oneof.name] = [member.name for member in oneof.fields]
    for plan in fields:
        oneof = plan.descriptor.containing_oneof
        if oneof is not None and oneof.name in oneofs:
            plan.oneof = oneof.name
    by_key = {}
    for plan in fields:
        by_key[plan.json_name] = plan
    for plan in fields:
        by_key[plan.name] = plan  # the proto name wins when a json name collides with another field
    full = descriptor.full_name
    plan = MessagePlan(
        descriptor=descriptor, full_name=full, cls=message_factory.GetMessageClass(descriptor),
        wkt=full if full in WELL_KNOWN else "", fields=fields,
        by_key=by_key, oneofs=oneofs,
        no_presence=[field for field in fields if not field.has_presence],
        nested_keys=frozenset(key for field in fields if field.kind in (MESSAGE, WKT)
                              for key in (field.name, field.json_name)))
    plan.finish_fields = tuple(fields)
    for field in fields:
        field.action = _read_action(field)
        plan.readers[field.descriptor] = (field.name, field.action, field)
    return plan


def _read_action(field: FieldPlan) -> int:
    if field.is_map:
        return READ_MAP
    if field.repeated:
        if field.kind == SCALAR:
            return READ_LIST
        return {MESSAGE: READ_MESSAGES, STRING: READ_STRINGS}.get(field.kind, READ_EACH)
    if field.kind == SCALAR:
        return READ_AS_IS
    return READ_MESSAGE if field.kind == MESSAGE else READ_ONE


def _field_plan(field: FieldDescriptor) -> FieldPlan:
    is_map = bool(field.message_type is not None and field.message_type.GetOptions().map_entry)
    target = field.message_type.fields_by_name["value"] if is_map else field
    key_type = field.message_type.fields_by_name["key"].type if is_map else 0
    kind = SCALAR
    enum = message = None
    if target.type == FieldDescriptor.TYPE_ENUM:
        kind, enum = ENUM, enum_plan_of(target.enum_type)
    elif target.message_type is not None:
        message = target.message_type
        kind = WKT if message.full_name in WELL_KNOWN else MESSAGE
    elif target.type == FieldDescriptor.TYPE_FLOAT:
        kind = FLOAT
    elif target.type == FieldDescriptor.TYPE_STRING and not _utf8_verified(target):
        kind = STRING
    return FieldPlan(
        descriptor=field, name=field.name, json_name=field.json_name, number=field.number,
        token=field.name.replace("~", "~0").replace("/", "~1"), kind=kind,
        repeated=field.is_repeated and not is_map, is_map=is_map,
        has_presence=field.has_presence, type=target.type, enum=enum, message=message, key_type=key_type)


def _utf8_verified(field: FieldDescriptor) -> bool:
    """upb checks UTF-8 (proto3, editions' default); proto2 strings may hold any bytes."""
    try:
        features = field._GetFeatures()  # no public accessor for resolved features yet
        return features.utf8_validation == features.VERIFY
    except AttributeError:
        return False


@functools.lru_cache(maxsize=4096)
def enum_plan_of(enum_type) -> EnumPlan:
    names: dict[int, str] = {}
    for value in enum_type.values:
        names.setdefault(value.number, value.name)
    return EnumPlan(full_name=enum_type.full_name, names=names,
                    numbers={value.name: value.number for value in enum_type.values},
                    closed=bool(getattr(enum_type, "is_closed", False)),
                    default_name=enum_type.values[0].name)


@dataclasses.dataclass(eq=False, slots=True)
class SchemaPlan:
    """Everything the codec needs about one compiled schema's root message type."""

    root: MessagePlan
    pool: Any
    shape: Shape  # the schema's Shape with the types the writer finishes itself made pass-through
    has_required: bool  # proto2 `required` somewhere: parsed messages are checked for them


@functools.lru_cache(maxsize=1024)
def schema_plan(descriptor: Descriptor, shape: Shape) -> SchemaPlan:
    root = linked_plan(descriptor)
    reachable = _reachable(descriptor)
    has_required = any(field.descriptor.is_required for desc in reachable.values() for field in plan_of(desc).fields)
    return SchemaPlan(root=root, pool=descriptor.file.pool, shape=writer_shape(shape), has_required=has_required)


@functools.lru_cache(maxsize=4096)
def linked_plan(descriptor: Descriptor) -> MessagePlan:
    """plan_of(descriptor) with every reachable type's plan linked and its writer needs known."""
    reachable = _reachable(descriptor)
    local = {full: _needs_finish_locally(plan_of(desc)) for full, desc in reachable.items()}
    for desc in reachable.values():
        plan = plan_of(desc)
        plan.needs_finish = any(local[name] for name in _reachable(desc))
        for field in plan.fields:
            if field.message is not None:
                field.sub = plan_of(field.message)
    for desc in reachable.values():
        plan = plan_of(desc)
        plan.finish_fields = tuple(field for field in plan.fields if _field_needs_finish(field))
    return plan_of(descriptor)


def _field_needs_finish(field: FieldPlan) -> bool:
    if field.kind in (FLOAT, ENUM, WKT) or field.is_map:
        return True
    return field.kind == MESSAGE and plan_of(field.message).needs_finish


def _needs_finish_locally(plan: MessagePlan) -> bool:
    if plan.wkt or plan.oneofs:
        return True
    for field in plan.fields:
        if field.kind in (FLOAT, ENUM, WKT):
            return True
        if field.is_map and field.key_type != FieldDescriptor.TYPE_STRING:
            return True
    return False


@functools.lru_cache(maxsize=4096)
def _reachable(descriptor: Descriptor) -> dict[str, Descriptor]:
    """Every message type reachable from `descriptor`, itself included (full name -> descriptor)."""
    found = {descriptor.full_name: descriptor}
    stack = [descriptor]
    while stack:
        current = stack.pop()
        for field in plan_of(current).fields:
            if field.message is not None and field.message.full_name not in found:
                found[field.message.full_name] = field.message
                stack.append(field.message)
    return found


# -- the writer's Shape ------------------------------------------------------------------------------

_PASS_THROUGH = frozenset({TIMESTAMP, ANY, FIELD_MASK})


def writer_shape(shape: Shape) -> Shape:
    """The schema's Shape for conform() with what the writer checks itself made ANY (pass-through):
    enums (numbers are valid values too), Timestamp (nanosecond text must stay exact), Any and
    FieldMask (their canonical forms are not records)."""
    memo: dict[int, Shape] = {}

    def copy(node: Shape) -> Shape:
        if id(node) in memo:
            return memo[id(node)]
        if node.kind is Kind.ENUM or node.name in _PASS_THROUGH:
            result = Shape(Kind.ANY, name=node.name)
            memo[id(node)] = result
            return result
        result = dataclasses.replace(node, fields=[])
        memo[id(node)] = result
        if node.items is not None:
            result.items = copy(node.items)
        if node.branches:
            result.branches = tuple(copy(branch) for branch in node.branches)
        result.fields = [dataclasses.replace(field, shape=copy(field.shape)) for field in node.fields]
        return result

    return copy(shape)


@functools.lru_cache(maxsize=1024)
def shape_of_descriptor(descriptor: Descriptor) -> Shape:
    """The Shape of a message type that is not the schema's root (the payload of an Any)."""
    from convsvc.schemas import protobuf as schemas

    shape_of = getattr(schemas, "shape_of", None)  # proposed public helper; the translator until then
    return writer_shape(shape_of(descriptor) if shape_of else schemas._Translator().shape(descriptor))

