"""A canonical value -> a message of the schema's type (docs/protobuf-mapping.md, "Encoding").

Four steps: `prepare` (null members mean "unset" in Protobuf: drop them; measure nesting),
`conform()` (the model's one place for typed text forms, ranges and ROBUST coercions), `finish`
(what conform leaves to the format: enums by name or number, well-known types, map keys, float32
range, oneofs) and the message class's own constructor, which builds the whole tree in C from
nested dicts and lists. Types that need no finishing are not visited by `finish` at all.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import struct
import uuid
from decimal import Decimal
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, EncodeError


from convsvc.formats.protobuf_codec import wellknown as wk
from convsvc.formats.protobuf_codec.plan import (
    ANY, DURATION, ENUM, FIELD_MASK, FLOAT, LIST_VALUE, MAX_MESSAGE_DEPTH, MESSAGE, STRUCT, TIMESTAMP, VALUE,
    WKT, WRAPPERS, EnumPlan, FieldPlan, MessagePlan, SchemaPlan, shape_of_descriptor,
)
from convsvc.formats.protobuf_codec.reader import MessageDict, resolve_any
from convsvc.model import Code, Context, LimitExceeded
from convsvc.model.conform import conform, describe_value as _kind_of
from convsvc.model.positions import child_pointer
from convsvc.model.shape import Kind, Shape

_TIMESTAMP_SHAPE = Shape(Kind.TIMESTAMP, unit="nanos", name=TIMESTAMP)
_FLOAT32_MAX = 3.4028234663852886e38
_MAX_EXACT_DOUBLE_INT = 2**53
_KEY_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1), FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1), FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1), FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1), FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1), FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
_DEEP_ENOUGH_TO_CHECK = 30  # below this canonical depth no message can pass protobuf's 100 levels


class Writer:
    """Builds messages of one schema under one Context. `protojson`: the target is ProtoJSON, which
    cannot hold NaN/Infinity in google.protobuf.Value (checked here, with the path)."""

    def __init__(self, ctx: Context, schema: SchemaPlan, *, protojson: bool = False) -> None:
        self.ctx = ctx
        self.schema = schema
        self.protojson = protojson
        self.max_depth = ctx.limits.max_depth
        self.deepest = 0
        self.outer_depth = 0  # levels of google.protobuf.Any around this writer's messages

    def build(self, value: Any, path: str = ""):
        """The message for `value` (a canonical document of the schema's root type)."""
        root = self.schema.root
        message = self.build_message(value, root, self.schema.shape, path)
        unknown = getattr(value, "unknown_fields", None) if isinstance(value, MessageDict) else None
        if unknown:
            self.merge_unknown(message, root, unknown)
        return message

    def build_message(self, value: Any, plan: MessagePlan, shape: Shape, path: str):
        self.deepest = 0
        prepared = self.prepare(value, plan, path, 1)
        conformed = conform(prepared, shape, self.ctx, path)
        if plan.wkt:
            return self.construct(plan, self.well_known(conformed, plan, path, 1), path)
        if not isinstance(conformed, dict):
            raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"expected an object for {plan.full_name}", path=path)
        finished = self.finish(conformed, plan, path) if plan.needs_finish else conformed
        return self.construct(plan, finished, path)

    def construct(self, plan: MessagePlan, fields: Any, path: str):
        cls = plan.cls
        try:
            if plan.wkt == STRUCT:
                message = cls()
                message.update(fields)
            elif plan.wkt == LIST_VALUE:
                message = cls()
                message.extend(fields)
            else:
                message = cls(**fields)
        except (TypeError, ValueError, UnicodeError, OverflowError, KeyError) as error:
            where, why, code = locate_build_error(plan, fields, path, error)
            raise self.ctx.refuse(code, why, path=where) from None
        return message

    def serialize(self, message, path: str = "") -> bytes:
        """Deterministic bytes (map entries sorted by key), as protoc-generated code writes them."""
        try:
            data = message.SerializeToString(deterministic=True)
        except EncodeError:  # proto2 required fields missing
            missing = message.FindInitializationErrors()
            raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"required field(s) missing: {', '.join(missing)}",
                                  path=path + pointer_of(missing[0]) if missing else path) from None
        if self.deepest > _DEEP_ENOUGH_TO_CHECK:
            self.check_message_depth(message, data, path)
        return data

    def check(self, message, path: str = ""):
        """What serialize() checks, for a message that goes on to ProtoJSON instead of bytes."""
        if self.schema.has_required or self.deepest > _DEEP_ENOUGH_TO_CHECK:
            self.serialize(message, path)
        return message

    def check_message_depth(self, message, data: bytes, path: str) -> None:
        """Refuse what standard parsers cannot read back: more than 100 levels of messages."""
        try:
            type(message).FromString(data)
        except DecodeError as error:
            if "Depth" in str(error):
                issue = self.ctx.issue(Code.LIMIT_EXCEEDED, f"the message nests more than {MAX_MESSAGE_DEPTH} "
                                       "levels of messages (protobuf's recursion limit)", path=path)
                raise LimitExceeded("protobuf_recursion_limit", MAX_MESSAGE_DEPTH, issue) from None

    # -- step 1: nulls and depth -------------------------------------------------------------------

    def prepare(self, value: Any, plan: MessagePlan, path: str, depth: int) -> Any:
        """`value` without null members (unset in Protobuf, as in ProtoJSON); the same object when
        there were none. Also measures the deepest nesting."""
        if depth > self.deepest:
            self.deepest = depth
            if depth > self.max_depth:
                raise self.ctx.over_limit("max_depth", "nesting too deep", path=path)
        if plan.wkt or not isinstance(value, dict):
            return value
        by_key = plan.by_key
        changed = None
        if None in value.values():  # a C-speed look first: nulls are rare
            for key, item in value.items():
                if item is None:
                    field = by_key.get(key)
                    if field is not None and (field.kind != WKT or field.repeated or field.message.full_name != VALUE):
                        changed = changed if changed is not None else dict(value)
                        del changed[key]
        nested = plan.nested_keys.intersection(value) if plan.nested_keys else ()
        for key in nested:
            item = value[key]
            if item is None:
                continue
            field = by_key[key]
            here = _child(path, key)
            if field.kind != MESSAGE:  # JSON-like content (Struct, Value, Any...): measure its depth
                if isinstance(item, (dict, list)):
                    self.measure(item, depth + 1, here)
                continue
            sub = field.plan
            if field.is_map:
                if isinstance(item, dict):
                    new = {k: self.prepare(v, sub, _child(here, k), depth + 2) for k, v in item.items()}
                    if any(new[k] is not item[k] for k in item):
                        changed = changed if changed is not None else dict(value)
                        changed[key] = new
            elif field.repeated:
                if isinstance(item, list):
                    new = [self.prepare(v, sub, f"{here}/{i}", depth + 2) for i, v in enumerate(item)]
                    if any(a is not b for a, b in zip(new, item)):
                        changed = changed if changed is not None else dict(value)
                        changed[key] = new
            else:
                new = self.prepare(item, sub, here, depth + 1)
                if new is not item:
                    changed = changed if changed is not None else dict(value)
                    changed[key] = new
        return value if changed is None else changed

    def measure(self, value: Any, depth: int, path: str) -> None:
        """Depth of JSON-like content that conform() passes through (Struct, Value, Any)."""
        if depth > self.deepest:
            self.deepest = depth
            if depth > self.max_depth:
                raise self.ctx.over_limit("max_depth", "nesting too deep", path=path)
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, (dict, list)):
                    self.measure(item, depth + 1, path)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, (dict, list)):
                    self.measure(item, depth + 1, path)

    # -- step 3: what conform() leaves to the format ------------------------------------------------

    def finish(self, value: dict, plan: MessagePlan, path: str) -> dict:
        """Constructor-ready fields; conform() built `value` fresh, so it is changed in place."""
        if plan.oneofs:
            self.check_oneofs(value, plan, path)
        for field in plan.finish_fields:
            key = field.name
            if key not in value:
                continue
            item = value[key]
            kind = field.kind
            if field.is_map:
                value[key] = self.map(item, field, f"{path}/{field.token}")
            elif kind == MESSAGE:
                sub = field.plan
                if field.repeated:
                    here = f"{path}/{field.token}/"
                    value[key] = [self.finish(v, sub, f"{here}{i}") for i, v in enumerate(item)]
                else:
                    value[key] = self.finish(item, sub, f"{path}/{field.token}")
            elif field.repeated:
                here = f"{path}/{field.token}/"
                value[key] = [self.single(v, field, f"{here}{i}") for i, v in enumerate(item)]
            else:
                value[key] = self.single(item, field, f"{path}/{field.token}")
        return value

    def single(self, value: Any, field: FieldPlan, path: str) -> Any:
        kind = field.kind
        if kind == FLOAT:
            return self.float32(value, path)
        if kind == ENUM:
            return self.enum(value, field.enum, path)
        if kind == MESSAGE:
            return self.finish(value, field.plan, path) if field.plan.needs_finish else value
        if value is None:
            if field.message.full_name == VALUE:
                return {"null_value": 0}
            raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"null is not a value of {field.message.full_name} "
                                  "here (an element of a repeated field or a map value)", path=path)
        return self.well_known(value, field.plan, path, 0)

    def check_oneofs(self, value: dict, plan: MessagePlan, path: str) -> None:
        for name, members in plan.oneofs.items():
            present = [member for member in members if member in value]
            if len(present) > 1:
                raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"fields {', '.join(present)} belong to oneof "
                                      f"{name}: at most one may be set", path=child_pointer(path, present[1]))

    def float32(self, value: float, path: str) -> float:
        if math.isfinite(value) and abs(value) > _FLOAT32_MAX:
            try:
                struct.pack("<f", value)  # rounds to the largest float32 when close enough
            except OverflowError:
                raise self.ctx.refuse(Code.VALUE_OUT_OF_RANGE, f"{value!r} does not fit a float (32-bit)",
                                      path=path) from None
        return value

    def enum(self, value: Any, enum: EnumPlan, path: str) -> Any:
        if value.__class__ is str:
            if value in enum.numbers:
                return value
            shape = Shape(Kind.ENUM, name=enum.full_name, symbols=tuple(enum.numbers))
            return conform(value, shape, self.ctx, path)  # ROBUST: a symbol in another case, reported
        if isinstance(value, int) and not isinstance(value, bool):
            if value in enum.names:
                return value
            if enum.closed:
                raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"{value} is not a value of the closed enum "
                                      f"{enum.full_name}", path=path)
            if not -(2**31) <= value < 2**31:
                raise self.ctx.refuse(Code.VALUE_OUT_OF_RANGE, f"enum number {value} does not fit int32",
                                      path=path)
            self.ctx.note(Code.UNKNOWN_ENUM_NUMBER, f"{value} is not a value of {enum.full_name}; "
                          "written as the number", path=path)
            return value
        raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"expected a symbol of {enum.full_name} (or its number), "
                              f"got {_kind_of(value)}", path=path)

    def map(self, value: dict, field: FieldPlan, path: str) -> dict:
        key_type = field.key_type
        kind = field.kind
        needs_values = kind in (FLOAT, ENUM, WKT) or (kind == MESSAGE and field.plan.needs_finish)
        if key_type == FieldDescriptor.TYPE_STRING:
            for key in value:
                if key.__class__ is not str:
                    raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"map {field.name} has string keys; got "
                                          f"{_kind_of(key)}", path=child_pointer(path, key))
            if not needs_values:
                return value
            return {key: self.single(item, field, child_pointer(path, key)) for key, item in value.items()}
        out = {}
        for key, item in value.items():
            here = child_pointer(path, key)
            typed = self.map_key(key, key_type, field, here)
            out[typed] = self.single(item, field, here) if needs_values else item
        return out

    def map_key(self, key: Any, key_type: int, field: FieldPlan, path: str) -> Any:
        if key_type == FieldDescriptor.TYPE_BOOL:
            if isinstance(key, bool):
                return key
            if key in ("true", "false"):
                return key == "true"
            raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"map {field.name} has boolean keys (true/false); got "
                                  f"{_kind_of(key)}", path=path)
        number = None
        if isinstance(key, int) and not isinstance(key, bool):
            number = key
        elif isinstance(key, str) and _is_integer_text(key):
            number = int(key)
        if number is None:
            raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"map {field.name} has integer keys; got "
                                  f"{_kind_of(key)}", path=path)
        low, high = _KEY_RANGES[key_type]
        if not low <= number <= high:
            raise self.ctx.refuse(Code.VALUE_OUT_OF_RANGE, f"map key {number} does not fit the key type "
                                  f"[{low}, {high}]", path=path)
        return number

    # -- well-known types --------------------------------------------------------------------------

    def well_known(self, value: Any, plan: MessagePlan, path: str, depth: int) -> Any:
        """Constructor-ready form of a well-known type's canonical value."""
        wkt = plan.wkt
        if wkt == TIMESTAMP:
            return self.timestamp(value, path)
        if wkt == DURATION:
            return self.duration(value, path)
        if wkt == STRUCT:
            if not isinstance(value, dict):
                raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"expected an object (google.protobuf.Struct), got "
                                      f"{_kind_of(value)}", path=path)
            return self.json_value(value, path, depth)
        if wkt == LIST_VALUE:
            if not isinstance(value, (list, tuple)):
                raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"expected an array (google.protobuf.ListValue), "
                                      f"got {_kind_of(value)}", path=path)
            return self.json_value(value, path, depth)
        if wkt == VALUE:
            return _value_fields(self.json_value(value, path, depth))
        if wkt == ANY:
            return self.any(value, path)
        if wkt == FIELD_MASK:
            return {"paths": self.field_mask(value, path)}
        if wkt in WRAPPERS:
            field = plan.fields[0]
            if field.kind == FLOAT:
                value = self.float32(value, path)
            return {"value": value}
        return value

    def timestamp(self, value: Any, path: str) -> dict:
        try:
            if isinstance(value, str):
                exact = wk.parse_timestamp_text(value.strip())
                if exact is not None:
                    return {"seconds": exact[0], "nanos": exact[1]}
            if isinstance(value, int) and not isinstance(value, bool):  # nanoseconds since the epoch, exactly
                seconds, nanos = divmod(value, wk.NANOS)
                wk.check_timestamp(seconds, nanos)
                return {"seconds": seconds, "nanos": nanos}
            moment = conform(value, _TIMESTAMP_SHAPE, self.ctx, path)  # offsets, ROBUST's UTC assumption
            seconds, nanos = wk.datetime_to_timestamp(moment)
        except wk.OutOfRange as error:
            raise self.ctx.refuse(Code.VALUE_OUT_OF_RANGE, str(error), path=path) from None
        return {"seconds": seconds, "nanos": nanos}

    def duration(self, value: Any, path: str) -> dict:
        try:
            if isinstance(value, str):
                parsed = wk.parse_duration_text(value.strip())
                if parsed is None:
                    raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"expected a duration like \"1.5s\" (seconds with "
                                          f"up to 9 fractional digits and the suffix s), got {_kind_of(value)}",
                                          path=path)
            elif isinstance(value, dt.timedelta):
                parsed = wk.timedelta_to_duration(value)
            elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                parsed, exact = wk.seconds_to_duration(value)
                if not exact:
                    self.ctx.note(Code.PRECISION_LOST, f"{value} seconds rounded to whole nanoseconds", path=path)
            else:
                raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"expected a duration (\"1.5s\" or a number of "
                                      f"seconds), got {_kind_of(value)}", path=path)
        except wk.OutOfRange as error:
            raise self.ctx.refuse(Code.VALUE_OUT_OF_RANGE, str(error), path=path) from None
        return {"seconds": parsed[0], "nanos": parsed[1]}

    def field_mask(self, value: Any, path: str) -> list[str]:
        if isinstance(value, str):
            paths = wk.field_mask_paths(value)
            if paths is None:
                raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"FieldMask text takes lowerCamel paths joined by "
                                      f"commas (\"fooBar,baz.qux\"), got {_kind_of(value)}", path=path)
        elif isinstance(value, dict) and set(value) == {"paths"}:
            paths = value["paths"]
        else:
            paths = value
        if not isinstance(paths, (list, tuple)) or not all(isinstance(item, str) for item in paths):
            raise self.ctx.refuse(Code.SCHEMA_VIOLATION, "expected a FieldMask: \"fooBar,baz\" text or a list of "
                                  f"path strings, got {_kind_of(value)}", path=path)
        if self.protojson and isinstance(wk.field_mask_to_canonical(list(paths)), list):
            raise self.ctx.refuse(Code.VALUE_OUT_OF_RANGE, "these FieldMask paths have no ProtoJSON form (each "
                                  "must be lower_snake_case that converts to lowerCamel and back)", path=path)
        return list(paths)

    def any(self, value: Any, path: str) -> dict:
        if not isinstance(value, dict):
            raise self.ctx.refuse(Code.SCHEMA_VIOLATION, "expected an object with \"@type\" "
                                  f"(google.protobuf.Any), got {_kind_of(value)}", path=path)
        if not value:
            return {}
        type_url = value.get("@type")
        if not isinstance(type_url, str):
            raise self.ctx.refuse(Code.SCHEMA_VIOLATION, "a google.protobuf.Any needs \"@type\" "
                                  "(type.googleapis.com/full.Name)", path=child_pointer(path, "@type"))
        inner = resolve_any(type_url, self.schema.pool, self.ctx, path)
        content = value.get("value") if inner.wkt else {k: v for k, v in value.items() if k != "@type"}
        if inner.wkt and set(value) - {"@type", "value"}:
            extra = sorted(set(value) - {"@type", "value"})[0]
            self.ctx.note(Code.UNKNOWN_FIELD_DROPPED, f"a google.protobuf.Any holding {inner.full_name} takes "
                          "only \"@type\" and \"value\"", path=child_pointer(path, extra))
        nested = Writer(self.ctx, self.schema, protojson=self.protojson)
        nested.outer_depth = self.outer_depth + self.deepest + 1
        if nested.outer_depth > min(self.max_depth, MAX_MESSAGE_DEPTH):
            issue = self.ctx.issue(Code.LIMIT_EXCEEDED, "google.protobuf.Any values nested too deep", path=path)
            raise LimitExceeded("protobuf_recursion_limit", MAX_MESSAGE_DEPTH, issue)
        message = nested.build_message(content, inner, shape_of_descriptor(inner.descriptor), path)
        return {"type_url": type_url, "value": nested.serialize(message, path)}

    def json_value(self, value: Any, path: str, depth: int) -> Any:
        """JSON-only content for Struct/Value/ListValue: string keys, double numbers; what JSON lacks
        takes its documented JSON form (bytes base64, times RFC 3339) and is reported like JSON does."""
        if value is None or value.__class__ is str or value.__class__ is bool:
            return value
        if isinstance(value, dict):
            if depth > self.max_depth:
                raise self.ctx.over_limit("max_depth", "nesting too deep", path=path)
            out = {}
            for key, item in value.items():
                if key.__class__ is not str:
                    raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"google.protobuf.Struct keys are strings; got "
                                          f"{_kind_of(key)}", path=child_pointer(path, key))
                out[key] = self.json_value(item, child_pointer(path, key), depth + 1)
            return out
        if isinstance(value, (list, tuple)):
            if depth > self.max_depth:
                raise self.ctx.over_limit("max_depth", "nesting too deep", path=path)
            return [self.json_value(item, f"{path}/{index}", depth + 1) for index, item in enumerate(value)]
        if isinstance(value, float):
            if self.protojson and not math.isfinite(value):
                raise self.ctx.refuse(Code.VALUE_OUT_OF_RANGE, f"{value!r} has no ProtoJSON form in a "
                                      "google.protobuf.Value (it would read back as a string)", path=path)
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            number = float(value) if abs(value) < 1.8e308 else None
            if number is None:
                raise self.ctx.refuse(Code.VALUE_OUT_OF_RANGE, "the integer does not fit a double "
                                      "(google.protobuf.Value numbers are doubles)", path=path)
            if abs(value) > _MAX_EXACT_DOUBLE_INT and int(number) != value:
                self.ctx.note(Code.PRECISION_LOST, f"integer {value} rounded to the double {number!r} "
                              "(google.protobuf.Value numbers are doubles)", path=path)
            return number
        if isinstance(value, Decimal):
            number = float(value)
            if not math.isfinite(number) or (value.is_finite() and Decimal(repr(number)) != value):
                if not value.is_finite() or not math.isfinite(number):
                    raise self.ctx.refuse(Code.VALUE_OUT_OF_RANGE, f"decimal {value} does not fit a double",
                                          path=path)
                self.ctx.note(Code.PRECISION_LOST, f"decimal {value} rounded to the double {number!r}", path=path)
            return number
        if isinstance(value, (bytes, bytearray, memoryview)):
            self.ctx.note(Code.BINARY_AS_BASE64, "binary data written as base64 text", path=path)
            return base64.b64encode(bytes(value)).decode("ascii")
        if isinstance(value, (dt.datetime, dt.date, dt.time, uuid.UUID)):
            return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
        raise self.ctx.refuse(Code.SCHEMA_VIOLATION, f"{type(value).__name__} has no JSON form", path=path)

    # -- unknown fields ------------------------------------------------------------------------------

    def merge_unknown(self, message, plan: MessagePlan, unknown: tuple[tuple[str, bytes], ...]) -> None:
        """Put unknown fields read from a Protobuf source back where they were, when that message
        exists in the output too; otherwise report them dropped."""
        if self.protojson:
            for path, _ in unknown:
                self.ctx.note(Code.UNKNOWN_FIELDS_DROPPED, "fields the schema does not define (unknown field "
                              "numbers) have no ProtoJSON form", path=path)
            return
        for path, raw in unknown:
            target = _navigate(message, plan, path)
            if target is None:
                self.ctx.note(Code.UNKNOWN_FIELDS_DROPPED, "the message that held fields the schema does not "
                              "define is not in the output", path=path)
                continue
            try:
                target.MergeFromString(raw)
            except DecodeError:
                self.ctx.note(Code.UNKNOWN_FIELDS_DROPPED, "fields the source schema did not define clash with "
                              "the target schema's fields of the same numbers", path=path)
                continue
            self.ctx.note(Code.UNKNOWN_FIELDS_KEPT, "fields the schema does not define were carried through",
                          path=path)


def _navigate(message, plan: MessagePlan, pointer: str):
    """The sub-message at a JSON Pointer of the canonical value, or None."""
    if not pointer:
        return message
    tokens = [token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:]]
    current, current_plan = message, plan
    index = 0
    while index < len(tokens):
        field = current_plan.by_key.get(tokens[index])
        if field is None or field.kind != MESSAGE:
            return None
        if not field.repeated and not field.is_map and not current.HasField(field.name):
            return None
        container = getattr(current, field.name)
        index += 1
        if field.repeated or field.is_map:
            if index >= len(tokens):
                return None
            token = tokens[index]
            index += 1
            try:
                if field.repeated:
                    container = container[int(token)]
                else:
                    key = token
                    if field.key_type == FieldDescriptor.TYPE_BOOL:
                        key = token == "true"
                    elif field.key_type != FieldDescriptor.TYPE_STRING:
                        key = int(token)
                    if key not in container:
                        return None
                    container = container[key]
            except (ValueError, IndexError):
                return None
        current, current_plan = container, field.plan
    return current


def locate_build_error(plan: MessagePlan, fields: Any, path: str, error: Exception) -> tuple[str, str, Code]:
    """(path, message, code) of what the message constructor refused: try member by member (slow
    path, only after a refusal)."""
    if isinstance(fields, dict) and not plan.wkt:
        for key, item in fields.items():
            try:
                plan.cls(**{key: item})
                continue
            except Exception as member_error:  # noqa: BLE001 - any refusal of the library
                error = member_error
            field = plan.by_key.get(key)
            here = child_pointer(path, key)
            if field is not None and field.kind == MESSAGE and not field.message.GetOptions().map_entry:
                sub = field.plan
                if field.is_map and isinstance(item, dict):
                    for k, v in item.items():
                        try:
                            plan.cls(**{key: {k: v}})
                        except Exception as entry_error:  # noqa: BLE001
                            if isinstance(v, dict):
                                return locate_build_error(sub, v, child_pointer(here, k), entry_error)
                            return child_pointer(here, k), _describe(entry_error), _code_of(entry_error)
                elif field.repeated and isinstance(item, list):
                    for i, v in enumerate(item):
                        try:
                            plan.cls(**{key: [v]})
                        except Exception as element_error:  # noqa: BLE001
                            if isinstance(v, dict):
                                return locate_build_error(sub, v, f"{here}/{i}", element_error)
                            return f"{here}/{i}", _describe(element_error), _code_of(element_error)
                elif isinstance(item, dict):
                    return locate_build_error(sub, item, here, error)
            elif field is not None and isinstance(item, (list, dict)):
                members = item.items() if isinstance(item, dict) else enumerate(item)
                for k, v in members:
                    try:
                        plan.cls(**{key: {k: v} if isinstance(item, dict) else [v]})
                    except Exception as element_error:  # noqa: BLE001
                        return child_pointer(here, k), _describe(element_error), _code_of(element_error)
            return here, _describe(error), _code_of(error)
    return path, _describe(error), _code_of(error)


def _describe(error: Exception) -> str:
    if isinstance(error, UnicodeEncodeError):
        return "text holds a lone surrogate (not encodable as UTF-8)"
    return f"the value does not fit the field: {error}"


def _code_of(error: Exception) -> Code:
    if isinstance(error, UnicodeEncodeError):
        return Code.LONE_SURROGATE
    if isinstance(error, (ValueError, OverflowError)) and "range" in str(error):
        return Code.VALUE_OUT_OF_RANGE
    return Code.SCHEMA_VIOLATION


def pointer_of(dotted: str) -> str:
    """FindInitializationErrors' `a.b[2].c` as a JSON Pointer."""
    out = []
    for part in dotted.replace("]", "").split("."):
        name, _, index = part.partition("[")
        out.append(name)
        if index:
            out.append(index)
    return "".join("/" + token for token in out)


def _child(path: str, key: Any) -> str:
    """child_pointer without its cost for the usual key that needs no escaping."""
    return f"{path}/{key}" if key.__class__ is str and "/" not in key and "~" not in key else child_pointer(path, key)


def _value_fields(json_value: Any) -> dict:
    """Constructor fields of a google.protobuf.Value holding a JSON value."""
    if json_value is None:
        return {"null_value": 0}
    if json_value.__class__ is bool:
        return {"bool_value": json_value}
    if json_value.__class__ is str:
        return {"string_value": json_value}
    if isinstance(json_value, float):
        return {"number_value": json_value}
    if isinstance(json_value, dict):
        return {"struct_value": json_value}
    return {"list_value": json_value}


def _is_integer_text(text: str) -> bool:
    body = text[1:] if text[:1] == "-" else text
    return body.isascii() and body.isdigit() and len(body) <= 20
