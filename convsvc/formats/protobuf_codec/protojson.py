"""ProtoJSON (the official JSON mapping) through protobuf's own json_format, with JSON Pointer paths.

json_format decides what is valid ProtoJSON, so acceptance and output are the reference
implementation's exactly. Its errors name no JSON Pointer, so after a refusal a checker walks the
JSON beside the descriptors, asking json_format about one member at a time, to find every place at
fault; unknown fields are dropped and reported (FRAGILE then refuses them, like conform() does).
"""

from __future__ import annotations

import re
import struct
from typing import Any

import orjson
from google.protobuf import json_format

from convsvc.formats import json_codec
from convsvc.formats.protobuf_codec.plan import ANY, MAX_MESSAGE_DEPTH, MESSAGE, WKT, MessagePlan, SchemaPlan, plan_of
from convsvc.model import Code, Context, InvalidInput, LimitExceeded
from convsvc.model.positions import child_pointer

# json_format raises ParseError for most faults, and plain TypeError/AttributeError for some shapes
_LIBRARY_ERRORS = (json_format.ParseError, ValueError, TypeError, AttributeError, KeyError, IndexError)
_PREFIX = re.compile(r"^(?:Failed to parse \S+ field: )+")
_SUFFIX = re.compile(r"(?: at [\w.\[\]\-]+)?\.*$")


def parse(data: bytes, ctx: Context, schema: SchemaPlan, *, base: bytes | None = None, base_offset: int = 0):
    """The message a ProtoJSON text encodes (strict JSON first: duplicates, depth, number limits)."""
    value = json_codec.decode_value(data, ctx, base=base, base_offset=base_offset)
    root = schema.root
    message = root.cls()
    try:
        json_format.ParseDict(value, message, descriptor_pool=schema.pool, max_recursion_depth=MAX_MESSAGE_DEPTH)
        return message
    except _LIBRARY_ERRORS as error:
        first_error = error
    if "too deep" in str(first_error):
        issue = ctx.issue(Code.LIMIT_EXCEEDED, f"messages nested more than {MAX_MESSAGE_DEPTH} levels deep, "
                          f"protobuf's own recursion limit (limit protobuf_recursion_limit={MAX_MESSAGE_DEPTH})")
        raise LimitExceeded("protobuf_recursion_limit", MAX_MESSAGE_DEPTH, issue)
    problems = _Checker(schema).message(value, root, "")
    faults = []
    for problem in problems:
        if problem.unknown:
            continue
        edge = _float32_edge(value, problem)
        if edge is None:
            faults.append(problem)
        else:  # json_format refuses the largest floats its own printer writes (3.4028235e+38): read them
            _replace(value, problem.path, edge)
    if faults:
        raise InvalidInput([ctx.issue(fault.code, fault.message, path=fault.path) for fault in faults])
    if not problems:
        raise ctx.refuse(Code.SCHEMA_VIOLATION, f"not ProtoJSON of {root.full_name}: {_clean(first_error)}")
    for problem in problems:  # unknown fields: drop them, report each (FRAGILE refuses after decoding)
        if problem.unknown:
            ctx.note(Code.UNKNOWN_FIELD_DROPPED, problem.message, path=problem.path)
            _remove(value, problem.path)
    message = root.cls()
    try:
        json_format.ParseDict(value, message, descriptor_pool=schema.pool, max_recursion_depth=MAX_MESSAGE_DEPTH)
    except _LIBRARY_ERRORS as error:
        raise ctx.refuse(Code.SCHEMA_VIOLATION, f"not ProtoJSON of {root.full_name}: {_clean(error)}") from None
    return message


def _float32_edge(value: Any, problem: "_Problem") -> float | None:
    """The float32 a number just past FLT_MAX rounds to (as C++ and Java read it), or None."""
    if "Float value too" not in problem.message:
        return None
    number = _at(value, problem.path)
    try:
        return struct.unpack("<f", struct.pack("<f", float(number)))[0]
    except (OverflowError, TypeError, ValueError):
        return None


def dumps(message, ctx: Context, schema: SchemaPlan, *, names: str, emit_defaults: bool, indent: bool,
          newline: bool = False) -> bytes:
    try:
        value = json_format.MessageToDict(message, preserving_proto_field_name=names == "proto",
                                          always_print_fields_with_no_presence=emit_defaults,
                                          descriptor_pool=schema.pool)
    except (ValueError, TypeError, json_format.Error) as error:
        raise ctx.refuse(Code.VALUE_OUT_OF_RANGE, f"the message has no ProtoJSON form: {error}") from None
    option = (orjson.OPT_INDENT_2 if indent else 0) | (orjson.OPT_APPEND_NEWLINE if newline else 0)
    return orjson.dumps(value, option=option)


class _Problem:
    __slots__ = ("code", "path", "message", "unknown")

    def __init__(self, code: Code, path: str, message: str, unknown: bool = False) -> None:
        self.code, self.path, self.message, self.unknown = code, path, message, unknown


class _Checker:
    """Finds every unknown field and the first fault under each member json_format refuses."""

    def __init__(self, schema: SchemaPlan) -> None:
        self.pool = schema.pool
        self.problems: list[_Problem] = []

    def accepts(self, plan: MessagePlan, value: Any) -> Exception | None:
        try:
            json_format.ParseDict(value, plan.cls(), descriptor_pool=self.pool,
                                  max_recursion_depth=MAX_MESSAGE_DEPTH)
        except _LIBRARY_ERRORS as error:
            return error
        return None

    def fault(self, path: str, error: Exception | str) -> None:
        text = _clean(error)
        self.problems.append(_Problem(_code_of(text), path, text))

    def message(self, value: Any, plan: MessagePlan, path: str) -> list[_Problem]:
        if plan.wkt:
            if plan.wkt == ANY and isinstance(value, dict):
                self.any(value, path)
            else:
                error = self.accepts(plan, value)
                if error is not None:
                    self.fault(path, error)
            return self.problems
        if not isinstance(value, dict):
            self.fault(path, f"expected an object ({plan.full_name}), got {_kind_of(value)}")
            return self.problems
        self.members(value, plan, path)
        return self.problems

    def members(self, value: dict, plan: MessagePlan, path: str, skip: str = "") -> None:
        seen: dict[str, str] = {}
        oneofs: dict[str, str] = {}
        for key, item in value.items():
            if key == skip:
                continue
            here = child_pointer(path, key)
            field = plan.by_key.get(key)
            if field is None:
                self.problems.append(_Problem(Code.UNKNOWN_FIELD_DROPPED, here,
                                              f"{plan.full_name} has no field {key!r}", unknown=True))
                continue
            if field.name in seen:
                self.fault(here, f"field {field.name} is given twice (as {seen[field.name]!r} and {key!r})")
                continue
            seen[field.name] = key
            if field.oneof and item is not None:
                if field.oneof in oneofs:
                    self.fault(here, f"{oneofs[field.oneof]!r} and {key!r} belong to oneof {field.oneof}: at most "
                               "one may be set")
                    continue
                oneofs[field.oneof] = key
            before = len(self.problems)
            error = self.accepts(plan, {key: item})
            if error is None:
                continue
            if field.kind in (MESSAGE, WKT) and item is not None:
                sub = plan_of(field.message)
                if field.is_map and isinstance(item, dict):
                    for map_key, map_value in item.items():
                        if self.accepts(plan, {key: {map_key: map_value}}) is not None:
                            if map_value is None or self.accepts(plan, {key: {map_key: {}}}) is not None:
                                self.fault(child_pointer(here, map_key), self.accepts(plan, {key: {map_key: map_value}}))
                            else:
                                self.message(map_value, sub, child_pointer(here, map_key))
                elif field.repeated and isinstance(item, list):
                    for index, element in enumerate(item):
                        element_error = self.accepts(plan, {key: [element]})
                        if element_error is not None:
                            if element is None:
                                self.fault(f"{here}/{index}", element_error)
                            else:
                                self.message(element, sub, f"{here}/{index}")
                elif not field.repeated and not field.is_map:
                    self.message(item, sub, here)
            elif (field.repeated or field.is_map) and isinstance(item, (list, dict)):
                members = item.items() if isinstance(item, dict) else enumerate(item)
                for member_key, member in members:
                    probe = {key: {member_key: member}} if isinstance(item, dict) else {key: [member]}
                    member_error = self.accepts(plan, probe)
                    if member_error is not None:
                        self.fault(child_pointer(here, member_key), member_error)
            if len(self.problems) == before:  # nothing more precise below: the member itself
                self.fault(here, error)

    def any(self, value: dict, path: str) -> None:
        if not value:
            return
        type_url = value.get("@type")
        if not isinstance(type_url, str):
            self.fault(child_pointer(path, "@type"), "a google.protobuf.Any needs \"@type\"")
            return
        try:
            inner = plan_of(self.pool.FindMessageTypeByName(type_url.rpartition("/")[2]))
        except KeyError:
            self.fault(child_pointer(path, "@type"), f"google.protobuf.Any holds {type_url!r}, a type the schema "
                       "does not define: only types of the schema's descriptor pool can be converted")
            return
        if inner.wkt:
            for key in value:
                if key not in ("@type", "value"):
                    self.problems.append(_Problem(Code.UNKNOWN_FIELD_DROPPED, child_pointer(path, key),
                                                  f"an Any holding {inner.full_name} has no field {key!r}",
                                                  unknown=True))
            self.message(value.get("value"), inner, child_pointer(path, "value"))
        else:
            self.members(value, inner, path, skip="@type")


def _tokens(pointer: str) -> list[str]:
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:]]


def _step(value: Any, token: str) -> Any:
    return value[int(token)] if isinstance(value, list) else value[token]


def _at(value: Any, pointer: str) -> Any:
    for token in _tokens(pointer):
        value = _step(value, token)
    return value


def _remove(value: Any, pointer: str) -> None:
    tokens = _tokens(pointer)
    for token in tokens[:-1]:
        value = _step(value, token)
    del value[tokens[-1]]


def _replace(value: Any, pointer: str, new: Any) -> None:
    tokens = _tokens(pointer)
    for token in tokens[:-1]:
        value = _step(value, token)
    value[int(tokens[-1]) if isinstance(value, list) else tokens[-1]] = new


def _clean(error: Exception | str) -> str:
    text = str(error).split("\n")[0]
    return _SUFFIX.sub("", _PREFIX.sub("", text)) or text


def _code_of(text: str) -> Code:
    lowered = text.lower()
    if "out of range" in lowered or "too large" in lowered or "too small" in lowered or "not valid" in lowered:
        return Code.VALUE_OUT_OF_RANGE
    if "surrogate" in lowered:
        return Code.LONE_SURROGATE
    return Code.SCHEMA_VIOLATION


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) <= 40 else "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
