"""JSON Schema (Draft 2020-12 by default, Draft 7 accepted): a compiled validator and a Shape."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema
from jsonschema import Draft7Validator, Draft202012Validator

from convsvc.model.shape import NO_DEFAULT, Field, Kind, Shape
from convsvc.schemas import CompiledSchema, SchemaError, SchemaSource

_ACCEPTED = (Draft202012Validator, Draft7Validator)
_SIMPLE = {"null": Kind.NULL, "boolean": Kind.BOOL, "integer": Kind.INT64, "number": Kind.DOUBLE,
           "string": Kind.STRING}


def compile(source: SchemaSource) -> CompiledSchema:
    try:
        schema = json.loads(source.text)
    except json.JSONDecodeError as error:
        raise SchemaError(f"JSON Schema is not JSON: {error}") from None
    validator_class = jsonschema.validators.validator_for(schema, default=Draft202012Validator)
    if validator_class not in _ACCEPTED:
        raise SchemaError(f"unsupported $schema {schema.get('$schema')!r}: use Draft 2020-12 or Draft 7", "/$schema")
    try:
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as error:
        path = "/" + "/".join(str(part) for part in error.absolute_path) if error.absolute_path else ""
        raise SchemaError(f"invalid JSON Schema: {error.message}", path) from None
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER,
                                registry=_references(source, validator_class))
    return CompiledSchema(source=source, shape=_Translator(schema).shape(schema), compiled=validator)


def _references(source: SchemaSource, validator_class: Any) -> referencing.Registry:
    """Referenced schemas by the name a $ref uses; nothing is ever fetched from the network."""
    dialect = referencing.jsonschema.specification_with(validator_class.META_SCHEMA["$schema"])
    resources = []
    for reference in source.references:
        try:
            contents = json.loads(reference.text)
        except json.JSONDecodeError as error:
            raise SchemaError(f"referenced schema {reference.name!r} is not JSON: {error}") from None
        resources.append((reference.name, referencing.Resource.from_contents(contents, default_specification=dialect)))
    return referencing.Registry().with_resources(resources)


def violations(validator: Any, value: Any) -> list[tuple[str, str]]:
    """(JSON Pointer, message) for every way `value` breaks the schema, in document order."""
    found = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
        pointer = "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in error.absolute_path)
        found.append((pointer, error.message))
    return found


class _Translator:
    """JSON Schema -> Shape for the common structural keywords; anything else is ANY."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.refs: dict[str, Shape] = {}

    def shape(self, schema: Any) -> Shape:
        if schema is True or schema == {} or not isinstance(schema, dict):
            return Shape(Kind.ANY)
        if "$ref" in schema:
            return self._ref(schema["$ref"])
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return Shape(Kind.UNION, branches=tuple(self.shape(branch) for branch in schema[key]))
        if "enum" in schema and all(isinstance(symbol, str) for symbol in schema["enum"]):
            return Shape(Kind.ENUM, symbols=tuple(schema["enum"]))
        kind = schema.get("type")
        if isinstance(kind, list):
            return Shape(Kind.UNION, branches=tuple(self.shape({**schema, "type": one}) for one in kind))
        if kind in _SIMPLE:
            return Shape(_SIMPLE[kind])
        if kind == "array":
            return Shape(Kind.ARRAY, items=self.shape(schema.get("items", True)))
        if kind == "object":
            properties = schema.get("properties", {})
            if not properties and isinstance(schema.get("additionalProperties"), dict):
                return Shape(Kind.MAP, items=self.shape(schema["additionalProperties"]))
            shape = Shape(Kind.RECORD, name=schema.get("title", ""))
            required = set(schema.get("required", ()))
            for name, sub in properties.items():
                default = sub.get("default", NO_DEFAULT) if isinstance(sub, dict) else NO_DEFAULT
                shape.fields.append(Field(name=name, shape=self.shape(sub), default=default,
                                          required=name in required))
            return shape
        return Shape(Kind.ANY)

    def _ref(self, ref: str) -> Shape:
        if ref in self.refs:
            return self.refs[ref]
        if not ref.startswith("#"):
            return Shape(Kind.ANY)  # remote references are not fetched: the registry resolves them
        target: Any = self.root
        for part in ref.lstrip("#").strip("/").split("/") if ref != "#" else []:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise SchemaError(f"unresolvable $ref {ref!r}")
            target = target[part]
        placeholder = Shape(Kind.RECORD)
        self.refs[ref] = placeholder  # a recursive reference finds this while it is being filled
        resolved = self.shape(target)
        if resolved.kind is Kind.RECORD:
            placeholder.fields, placeholder.name = resolved.fields, resolved.name
            return placeholder
        self.refs[ref] = resolved
        return resolved
