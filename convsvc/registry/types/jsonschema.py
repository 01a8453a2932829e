"""JSON Schema: validation against its meta-schema (jsonschema package; draft-07 when $schema is
absent), references through `referencing`, canonical and normalised forms, and Confluent's JSON Schema
compatibility rules (open, closed and partially open content models) as a table of rule functions."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from fractions import Fraction

import jsonschema
import referencing
import referencing.exceptions
from referencing.jsonschema import DRAFT7

from convsvc.registry.errors import InvalidSchema
from convsvc.registry.model import Reason, SchemaType
from convsvc.registry.types import Dependency, Parsed
from convsvc.registry.types.avro import compact, load_json


@dataclasses.dataclass(frozen=True, eq=False)
class JsonSchemaDoc:
    document: object
    registry: referencing.Registry  # the references (and the document itself) for $ref resolution
    base_uri: str


def _pointer(parts) -> str:
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in parts) if parts else ""


def _refs(node: object, path: tuple = ()):
    """Every $ref in a document, with its JSON Pointer."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value, path + (key,)
            elif key not in ("enum", "const", "default", "examples"):
                yield from _refs(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, path + (index,))


def _sorted(node: object, key: str = "") -> object:
    """Keys sorted; `required` and `type` lists sorted too (order-free sets); values kept as given."""
    if isinstance(node, dict):
        return {k: (node[k] if k in ("enum", "const", "default", "examples") else _sorted(node[k], k))
                for k in sorted(node)}
    if isinstance(node, list):
        items = [_sorted(item) for item in node]
        if key in ("required", "type") and all(isinstance(item, str) for item in items):
            return sorted(set(items))
        return items
    return node


def parse(text: str, dependencies: Sequence[Dependency]) -> Parsed:
    document = load_json(text)
    if not isinstance(document, (dict, bool)):
        raise InvalidSchema("a JSON Schema is an object or a boolean")
    validator = jsonschema.validators.validator_for(document, default=jsonschema.Draft7Validator)
    try:
        validator.check_schema(document)
    except jsonschema.SchemaError as error:
        where = _pointer(error.path)
        raise InvalidSchema(f"{error.message} (at {where or 'the root'})", path=where) from None
    resources = []
    for dep in dependencies:
        contents = load_json(dep.text, f"reference {dep.name!r}")
        resources.append((dep.name, referencing.Resource.from_contents(contents, default_specification=DRAFT7)))
    base_uri = document.get("$id", "") if isinstance(document, dict) else ""
    registry = referencing.Registry().with_resources(resources)
    registry = registry.with_resource(base_uri, referencing.Resource.from_contents(
        document, default_specification=DRAFT7))
    resolver = registry.resolver(base_uri=base_uri)
    for ref, path in _refs(document):
        try:
            resolver.lookup(ref)
        except referencing.exceptions.Unresolvable as error:
            where = _pointer(path)
            raise InvalidSchema(f"$ref {ref!r} does not resolve (not in the schema nor a reference): {error}",
                                path=where) from None
    return Parsed(type=SchemaType.JSON, canonical=compact(document), normalized=compact(_sorted(document)),
                  value=JsonSchemaDoc(document, registry, base_uri))


# -- the schema model the rules compare -------------------------------------------------------------

_ANNOTATIONS = frozenset({"$schema", "$id", "id", "title", "description", "default", "examples", "definitions",
                          "$defs", "$comment", "readOnly", "writeOnly", "deprecated"})
_OBJECT = frozenset({"properties", "additionalProperties", "required", "patternProperties", "minProperties",
                     "maxProperties", "dependencies", "dependentRequired", "dependentSchemas", "propertyNames"})
_ARRAY = frozenset({"items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains", "prefixItems"})
_STRING = frozenset({"minLength", "maxLength", "pattern", "format"})
_NUMBER = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})
_COMBINERS = ("allOf", "anyOf", "oneOf")


@dataclasses.dataclass(eq=False)
class Node:
    """One schema seen as Confluent's model sees it: a kind and the dict (or bool) it came from."""

    kind: str  # empty, false, enum, combined, not, object, array, string, number, boolean, null
    schema: object
    resolver: referencing._core.Resolver
    criterion: str = ""
    subschemas: tuple = ()
    integer: bool = False

    def get(self, key: str, default=None):
        return self.schema.get(key, default) if isinstance(self.schema, dict) else default

    def child(self, value: object) -> "Node":
        return node_of(value, self.resolver)


def node_of(schema: object, resolver, _depth: int = 0) -> Node:
    if schema is True or schema == {}:
        return Node("empty", schema, resolver)
    if schema is False:
        return Node("false", schema, resolver)
    if not isinstance(schema, dict):
        return Node("empty", {}, resolver)
    if "$ref" in schema and _depth < 50:  # draft-07: $ref's siblings are ignored
        resolved = resolver.lookup(schema["$ref"])
        return node_of(resolved.contents, resolved.resolver, _depth + 1)
    keys = set(schema) - _ANNOTATIONS
    combiners = [key for key in _COMBINERS if key in schema]
    rest = keys - set(_COMBINERS) - {"not"}
    if combiners or "not" in schema:
        parts = []
        if rest:
            parts.append(Node("allOf-base", {k: v for k, v in schema.items() if k not in _COMBINERS and k != "not"},
                              resolver))
        for key in combiners:
            parts.append(Node("combined", schema, resolver, criterion=key,
                              subschemas=tuple(schema[key])))
        if "not" in schema:
            parts.append(Node("not", schema, resolver))
        if len(parts) == 1:
            return parts[0]
        subs = tuple(node_of(part.schema, resolver) if part.kind == "allOf-base" else part for part in parts)
        return Node("combined", schema, resolver, criterion="allOf", subschemas=subs)
    if "enum" in schema:
        return Node("enum", schema, resolver)
    if "const" in schema:
        return Node("enum", {**schema, "enum": [schema["const"]]}, resolver)
    kind = schema.get("type")
    if isinstance(kind, list):
        if len(kind) == 1:
            kind = kind[0]
        else:
            return Node("combined", schema, resolver, criterion="anyOf",
                        subschemas=tuple(node_of({**schema, "type": item}, resolver) for item in kind))
    if kind is None:
        kind = ("object" if keys & _OBJECT else "array" if keys & _ARRAY else "string" if keys & _STRING
                else "number" if keys & _NUMBER else "empty")
    if kind == "integer":
        return Node("number", schema, resolver, integer=True)
    return Node(kind, schema, resolver)


# -- the rules --------------------------------------------------------------------------------------
# Each change from the writer's ("original") schema to the reader's ("update") has a type; the reader
# survives these (Confluent's list). The rest make the schemas incompatible.

COMPATIBLE_CHANGES = frozenset({
    "ID_CHANGED", "DESCRIPTION_CHANGED", "TITLE_CHANGED", "DEFAULT_CHANGED", "SCHEMA_REMOVED", "TYPE_EXTENDED",
    "MAX_LENGTH_INCREASED", "MAX_LENGTH_REMOVED", "MIN_LENGTH_DECREASED", "MIN_LENGTH_REMOVED", "PATTERN_REMOVED",
    "MAXIMUM_INCREASED", "MAXIMUM_REMOVED", "MINIMUM_DECREASED", "MINIMUM_REMOVED", "EXCLUSIVE_MAXIMUM_INCREASED",
    "EXCLUSIVE_MAXIMUM_REMOVED", "EXCLUSIVE_MINIMUM_DECREASED", "EXCLUSIVE_MINIMUM_REMOVED", "MULTIPLE_OF_REDUCED",
    "MULTIPLE_OF_REMOVED", "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", "REQUIRED_ATTRIBUTE_REMOVED",
    "DEPENDENCY_ARRAY_NARROWED", "DEPENDENCY_ARRAY_REMOVED", "DEPENDENCY_SCHEMA_REMOVED", "MAX_PROPERTIES_INCREASED",
    "MAX_PROPERTIES_REMOVED", "MIN_PROPERTIES_DECREASED", "MIN_PROPERTIES_REMOVED", "ADDITIONAL_PROPERTIES_ADDED",
    "ADDITIONAL_PROPERTIES_EXTENDED", "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "MAX_ITEMS_INCREASED", "MAX_ITEMS_REMOVED",
    "MIN_ITEMS_DECREASED", "MIN_ITEMS_REMOVED", "UNIQUE_ITEMS_REMOVED", "ADDITIONAL_ITEMS_ADDED",
    "ADDITIONAL_ITEMS_EXTENDED", "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "ENUM_ARRAY_EXTENDED", "COMBINED_TYPE_EXTENDED",
    "PRODUCT_TYPE_NARROWED", "SUM_TYPE_EXTENDED", "NOT_TYPE_NARROWED",
})


class Diff:
    """Collects (type, path) differences; `sub()` gives a scratch context for trial comparisons."""

    def __init__(self, path: tuple[str, ...] = (), in_progress: set | None = None) -> None:
        self.path = path
        self.differences: list[tuple[str, str]] = []
        self.in_progress = in_progress if in_progress is not None else set()

    def add(self, kind: str, *extra: str) -> None:
        self.differences.append((kind, "#/" + "/".join(self.path + extra) if (self.path + extra) else "#/"))

    def at(self, *parts: str) -> "Diff":
        child = Diff(self.path + parts, self.in_progress)
        child.differences = self.differences  # shares the list: a path scope, not a new context
        return child

    def sub(self) -> "Diff":
        return Diff(self.path, self.in_progress)

    def compatible(self) -> bool:
        return all(kind in COMPATIBLE_CHANGES for kind, _ in self.differences)


def compare(diff: Diff, original: Node | None, update: Node | None) -> None:
    if original is None and update is None:
        return
    if original is None:
        return diff.add("SCHEMA_ADDED")
    if update is None:
        return diff.add("SCHEMA_REMOVED")
    if original.kind != "combined" and update.kind == "combined":
        subs = [update.child(s) if not isinstance(s, Node) else s for s in update.subschemas]
        if len(subs) == 1:
            trial = diff.sub()
            compare(trial, original, subs[0])
            if trial.compatible():
                diff.differences.extend(trial.differences)
                return
        elif update.criterion in ("anyOf", "oneOf"):
            for sub in subs:
                trial = diff.sub()
                compare(trial, original, sub)
                if trial.compatible():
                    diff.differences.extend(trial.differences)
                    diff.add("SUM_TYPE_EXTENDED")
                    return
    elif original.kind == "combined" and update.kind != "combined" and len(original.subschemas) == 1:
        only = original.subschemas[0]
        trial = diff.sub()
        compare(trial, only if isinstance(only, Node) else original.child(only), update)
        if trial.compatible():
            diff.differences.extend(trial.differences)
            return
    if original.kind != update.kind:
        if original.kind == "false" or update.kind == "empty":
            return
        return diff.add("TYPE_CHANGED")
    key = (id(original.schema), id(update.schema), original.criterion, update.criterion)
    if key in diff.in_progress:  # recursive schemas: a pair being compared is assumed equal
        return
    diff.in_progress.add(key)
    try:
        for word, change in (("$id", "ID_CHANGED"), ("title", "TITLE_CHANGED"),
                             ("description", "DESCRIPTION_CHANGED"), ("default", "DEFAULT_CHANGED")):
            if original.get(word) != update.get(word):
                diff.add(change)
        rule = RULES.get(original.kind)
        if rule is not None:
            rule(diff, original, update)
    finally:
        diff.in_progress.discard(key)


def _bound(diff: Diff, keyword: str, prefix: str, original: Node, update: Node) -> None:
    """<PREFIX>_ADDED / _REMOVED / _INCREASED / _DECREASED for a numeric keyword."""
    old, new = original.get(keyword), update.get(keyword)
    if isinstance(old, bool) or isinstance(new, bool):  # draft-04 boolean exclusives: only presence counts
        old, new = (None if old is False else old), (None if new is False else new)
    if old == new:
        return
    if old is None:
        diff.add(f"{prefix}_ADDED", keyword)
    elif new is None:
        diff.add(f"{prefix}_REMOVED", keyword)
    elif isinstance(old, (int, float)) and isinstance(new, (int, float)):
        diff.add(f"{prefix}_INCREASED" if new > old else f"{prefix}_DECREASED", keyword)


def _string(diff: Diff, original: Node, update: Node) -> None:
    _bound(diff, "maxLength", "MAX_LENGTH", original, update)
    _bound(diff, "minLength", "MIN_LENGTH", original, update)
    old, new = original.get("pattern"), update.get("pattern")
    if old != new:
        diff.add("PATTERN_ADDED" if old is None else "PATTERN_REMOVED" if new is None else "PATTERN_CHANGED",
                 "pattern")


def _number(diff: Diff, original: Node, update: Node) -> None:
    _bound(diff, "maximum", "MAXIMUM", original, update)
    _bound(diff, "minimum", "MINIMUM", original, update)
    _bound(diff, "exclusiveMaximum", "EXCLUSIVE_MAXIMUM", original, update)
    _bound(diff, "exclusiveMinimum", "EXCLUSIVE_MINIMUM", original, update)
    old, new = original.get("multipleOf"), update.get("multipleOf")
    if old != new:
        if old is None:
            diff.add("MULTIPLE_OF_ADDED", "multipleOf")
        elif new is None:
            diff.add("MULTIPLE_OF_REMOVED", "multipleOf")
        elif (Fraction(str(old)) / Fraction(str(new))).denominator == 1:
            diff.add("MULTIPLE_OF_REDUCED", "multipleOf")  # every old multiple is a new one
        elif (Fraction(str(new)) / Fraction(str(old))).denominator == 1:
            diff.add("MULTIPLE_OF_EXPANDED", "multipleOf")
        else:
            diff.add("MULTIPLE_OF_CHANGED", "multipleOf")
    if original.integer and not update.integer:
        diff.add("TYPE_EXTENDED")
    elif update.integer and not original.integer:
        diff.add("TYPE_NARROWED")


def _enum(diff: Diff, original: Node, update: Node) -> None:
    old = [json.dumps(v, sort_keys=True) for v in original.get("enum", [])]
    new = [json.dumps(v, sort_keys=True) for v in update.get("enum", [])]
    if set(old) == set(new):
        return
    if set(new) >= set(old):
        diff.add("ENUM_ARRAY_EXTENDED", "enum")
    elif set(old) >= set(new):
        diff.add("ENUM_ARRAY_NARROWED", "enum")
    else:
        diff.add("ENUM_ARRAY_CHANGED", "enum")


def _subs(node: Node) -> list[Node]:
    return [s if isinstance(s, Node) else node.child(s) for s in node.subschemas]


def _max_matching(edges: dict[int, list[int]], left: int) -> int:
    """Size of a maximum bipartite matching (augmenting paths; unions are small)."""
    match: dict[int, int] = {}

    def augment(u: int, seen: set[int]) -> bool:
        for v in edges.get(u, ()):
            if v not in seen:
                seen.add(v)
                if v not in match or augment(match[v], seen):
                    match[v] = u
                    return True
        return False

    return sum(augment(u, set()) for u in range(left))


def _combined(diff: Diff, original: Node, update: Node) -> None:
    o_crit, u_crit = original.criterion, update.criterion
    o_subs, u_subs = _subs(original), _subs(update)
    if o_crit != u_crit:
        if u_crit == "anyOf" or (u_crit == "oneOf" and len(o_subs) == 1) or \
                (u_crit == "allOf" and len(o_subs) == 1 and len(u_subs) == 1):
            diff.add("COMBINED_TYPE_EXTENDED")
        else:
            return diff.add("COMBINED_TYPE_CHANGED")
    if len(o_subs) < len(u_subs):
        diff.add("PRODUCT_TYPE_EXTENDED" if u_crit == "allOf" else "SUM_TYPE_EXTENDED")
    elif len(o_subs) > len(u_subs):
        diff.add("PRODUCT_TYPE_NARROWED" if u_crit == "allOf" else "SUM_TYPE_NARROWED")
    edges: dict[int, list[int]] = {}
    trials: dict[tuple[int, int], list] = {}
    for i, o_sub in enumerate(o_subs):
        for j, u_sub in enumerate(u_subs):
            trial = diff.at(o_crit, str(i)).sub()
            compare(trial, o_sub, u_sub)
            if trial.compatible():
                edges.setdefault(i, []).append(j)
                trials[(i, j)] = trial.differences
    if _max_matching(edges, len(o_subs)) < min(len(o_subs), len(u_subs)):
        diff.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED")


def _not(diff: Diff, original: Node, update: Node) -> None:
    trial = diff.at("not").sub()  # not A -> not B holds when B fits inside A: compare reversed
    compare(trial, update.child(update.get("not")), original.child(original.get("not")))
    if not trial.compatible():
        diff.add("NOT_TYPE_EXTENDED", "not")
    elif trial.differences:
        diff.add("NOT_TYPE_NARROWED", "not")


def _open(node: Node) -> bool:
    return not node.get("patternProperties") and node.get("additionalProperties", True) is True \
        and "unevaluatedProperties" not in (node.schema if isinstance(node.schema, dict) else {})


def _partial(node: Node, name: str) -> Node | None:
    """The schema that a partially open content model gives an undeclared property, if any."""
    import re

    for pattern, schema in (node.get("patternProperties") or {}).items():
        if re.search(pattern, name):
            return node.child(schema)
    extra = node.get("additionalProperties", True)
    if isinstance(extra, dict):
        return node.child(extra)
    return None


def _object(diff: Diff, original: Node, update: Node) -> None:
    o_props, u_props = original.get("properties") or {}, update.get("properties") or {}
    o_req, u_req = set(original.get("required") or ()), set(update.get("required") or ())
    for name in o_props:
        if name in u_props:
            if name in o_req and name not in u_req:
                diff.add("REQUIRED_ATTRIBUTE_REMOVED", "required", name)
            elif name in u_req and name not in o_req:
                has_default = isinstance(u_props[name], dict) and "default" in u_props[name]
                diff.add("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED" if has_default else "REQUIRED_ATTRIBUTE_ADDED",
                         "required", name)
    for name in sorted(set(o_props) | set(u_props)):
        here = diff.at("properties", name)
        if name not in u_props:
            if _open(update):
                here.add("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL")
            else:
                covering = _partial(update, name)
                old = original.child(o_props[name])
                if covering is not None:
                    trial = here.sub()
                    compare(trial, old, covering)
                    here.differences.extend(trial.differences)
                    here.add("PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" if trial.compatible()
                             else "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
                elif old.kind == "false":
                    here.add("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
                else:
                    here.add("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL")
        elif name not in o_props:
            new = update.child(u_props[name])
            if _open(original):
                here.add("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL" if new.kind == "empty"
                         else "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
            else:
                covering = _partial(original, name)
                if covering is not None:
                    trial = here.sub()
                    compare(trial, covering, new)
                    here.differences.extend(trial.differences)
                    here.add("PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" if trial.compatible()
                             else "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
                if name in u_req:
                    has_default = isinstance(u_props[name], dict) and "default" in u_props[name]
                    here.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL" if has_default
                             else "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
                else:
                    here.add("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
        else:
            compare(here, original.child(o_props[name]), update.child(u_props[name]))
    _dependencies(diff.at("dependencies"), original, update)
    here = diff.at("additionalProperties")
    o_extra, u_extra = original.get("additionalProperties", True), update.get("additionalProperties", True)
    o_permits, u_permits = o_extra is not False, u_extra is not False
    if o_permits != u_permits:
        here.add("ADDITIONAL_PROPERTIES_ADDED" if u_permits else "ADDITIONAL_PROPERTIES_REMOVED")
    elif not isinstance(o_extra, dict) and isinstance(u_extra, dict):
        here.add("ADDITIONAL_PROPERTIES_NARROWED")
    elif isinstance(o_extra, dict) and not isinstance(u_extra, dict):
        here.add("ADDITIONAL_PROPERTIES_EXTENDED")
    elif isinstance(o_extra, dict):
        compare(here, original.child(o_extra), update.child(u_extra))
    _bound(diff, "maxProperties", "MAX_PROPERTIES", original, update)
    _bound(diff, "minProperties", "MIN_PROPERTIES", original, update)


def _dependencies(diff: Diff, original: Node, update: Node) -> None:
    o_deps, u_deps = original.get("dependencies") or {}, update.get("dependencies") or {}
    for name in sorted(set(o_deps) | set(u_deps)):
        old, new = o_deps.get(name), u_deps.get(name)
        here = diff.at(name)
        if isinstance(old, list) or isinstance(new, list):
            if new is None:
                here.add("DEPENDENCY_ARRAY_REMOVED")
            elif old is None:
                here.add("DEPENDENCY_ARRAY_ADDED")
            elif set(old) != set(new):
                here.add("DEPENDENCY_ARRAY_EXTENDED" if set(new) >= set(old) else
                         "DEPENDENCY_ARRAY_NARROWED" if set(old) >= set(new) else "DEPENDENCY_ARRAY_CHANGED")
        elif new is None:
            here.add("DEPENDENCY_SCHEMA_REMOVED")
        elif old is None:
            here.add("DEPENDENCY_SCHEMA_ADDED")
        else:
            compare(here, original.child(old), update.child(new))


def _array_open(node: Node) -> bool:
    return node.get("additionalItems", True) is True


def _array(diff: Diff, original: Node, update: Node) -> None:
    o_items, u_items = original.get("items"), update.get("items")
    if not isinstance(o_items, list) and not isinstance(u_items, list):
        compare(diff.at("items"), original.child(o_items) if o_items is not None else None,
                update.child(u_items) if u_items is not None else None)
    o_tuple = o_items if isinstance(o_items, list) else []
    u_tuple = u_items if isinstance(u_items, list) else []
    for index in range(max(len(o_tuple), len(u_tuple))):
        here = diff.at("items", str(index))
        if index < len(o_tuple) and index < len(u_tuple):
            compare(here, original.child(o_tuple[index]), update.child(u_tuple[index]))
        elif index < len(o_tuple):
            old = original.child(o_tuple[index])
            extra = update.get("additionalItems", True)
            if extra is True:
                here.add("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL")
            elif isinstance(extra, dict):
                trial = here.sub()
                compare(trial, old, update.child(extra))
                here.differences.extend(trial.differences)
                here.add("ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" if trial.compatible()
                         else "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
            else:
                here.add("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL" if old.kind == "false"
                         else "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL")
        else:
            new = update.child(u_tuple[index])
            extra = original.get("additionalItems", True)
            if extra is True:
                here.add("ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL" if new.kind == "empty"
                         else "ITEM_ADDED_TO_OPEN_CONTENT_MODEL")
            elif isinstance(extra, dict):
                trial = here.sub()
                compare(trial, original.child(extra), new)
                here.differences.extend(trial.differences)
                here.add("ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" if trial.compatible()
                         else "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
            else:
                here.add("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL")
    here = diff.at("additionalItems")
    o_extra, u_extra = original.get("additionalItems", True), update.get("additionalItems", True)
    if (o_extra is not False) != (u_extra is not False):
        here.add("ADDITIONAL_ITEMS_REMOVED" if o_extra is not False else "ADDITIONAL_ITEMS_ADDED")
    elif not isinstance(o_extra, dict) and isinstance(u_extra, dict):
        here.add("ADDITIONAL_ITEMS_NARROWED")
    elif isinstance(o_extra, dict) and not isinstance(u_extra, dict):
        here.add("ADDITIONAL_ITEMS_EXTENDED")
    elif isinstance(o_extra, dict):
        compare(here, original.child(o_extra), update.child(u_extra))
    _bound(diff, "maxItems", "MAX_ITEMS", original, update)
    _bound(diff, "minItems", "MIN_ITEMS", original, update)
    if bool(original.get("uniqueItems")) != bool(update.get("uniqueItems")):
        diff.add("UNIQUE_ITEMS_REMOVED" if original.get("uniqueItems") else "UNIQUE_ITEMS_ADDED", "uniqueItems")


# The rule for two schemas of the same kind (empty, false, boolean and null have nothing more to compare).
RULES: dict[str, Callable[[Diff, Node, Node], None]] = {
    "string": _string,
    "number": _number,
    "enum": _enum,
    "combined": _combined,
    "not": _not,
    "object": _object,
    "array": _array,
}

_DESCRIPTIONS = (  # (suffixes or types, sentence); {path}, {new} (reader) and {old} (writer) are filled in
    (("_ADDED",), "The keyword at path '{path}' in the {new} schema is not present in the {old} schema"),
    (("_REMOVED",), "The keyword at path '{path}' in the {old} schema is not present in the {new} schema"),
    (("MIN_LENGTH_INCREASED", "MINIMUM_INCREASED", "EXCLUSIVE_MINIMUM_INCREASED", "MIN_PROPERTIES_INCREASED",
      "MULTIPLE_OF_EXPANDED", "MIN_ITEMS_INCREASED"),
     "The value at path '{path}' in the {new} schema is more than its value in the {old} schema"),
    (("_DECREASED",), "The value at path '{path}' in the {new} schema is less than its value in the {old} schema"),
    (("_CHANGED",), "The value or type at path '{path}' is different between the {new} and {old} schema"),
    (("_NARROWED",), "An array or combined type at path '{path}' has fewer elements in the {new} schema than "
                     "the {old} schema"),
    (("_EXTENDED",), "An array or combined type at path '{path}' has more elements in the {new} schema than "
                     "the {old} schema"),
)

_SPECIFIC = {
    "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": "The {old} schema has an open content model and the {new} schema has "
        "a property at path '{path}' that the {old} schema lets hold any value",
    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL": "The {old} schema has an open content model and the {new} schema has an "
        "item at path '{path}' that the {old} schema lets hold any value",
    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": "The {new} schema has a closed or partially open content "
        "model and a required property at path '{path}' which is missing in the {old} schema",
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL": "The {new} schema has a closed content model and is missing a "
        "property present at path '{path}' in the {old} schema",
    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL": "The {new} schema has a closed content model and is missing an item "
        "present at path '{path}' in the {old} schema",
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "A property at path '{path}' in the {old} schema "
        "is missing in the {new} schema and its partially open content model does not accept it",
    "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "An item at path '{path}' in the {old} schema is "
        "missing in the {new} schema and its partially open content model does not accept it",
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "The {new} schema has a property at path "
        "'{path}' which the {old} schema's partially open content model gives a different schema",
    "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "The {new} schema has an item at path '{path}' which "
        "the {old} schema's partially open content model gives a different schema",
    "TYPE_CHANGED": "A type at path '{path}' is different between the {new} schema and the {old} schema",
    "TYPE_NARROWED": "A type at path '{path}' is narrower in the {new} schema than in the {old} schema",
    "SCHEMA_ADDED": "The {new} schema has a schema at path '{path}' which the {old} schema does not have",
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED": "The subschemas of the combined type at path '{path}' in the {new} schema "
        "do not match those of the {old} schema",
    "NOT_TYPE_EXTENDED": "The 'not' schema at path '{path}' rejects more in the {new} schema than in the {old} schema",
}


def describe(kind: str, path: str, new: str, old: str) -> str:
    template = _SPECIFIC.get(kind)
    if template is None:
        template = next((text for keys, text in _DESCRIPTIONS
                         if kind in keys or any(kind.endswith(key) for key in keys if key.startswith("_"))),
                        "{path}: " + kind)
    return template.format(path=path, new=new, old=old)


def differences(original: JsonSchemaDoc, update: JsonSchemaDoc) -> list[tuple[str, str]]:
    diff = Diff()
    compare(diff, node_of(original.document, original.registry.resolver(original.base_uri)),
            node_of(update.document, update.registry.resolver(update.base_uri)))
    return diff.differences


def compatibility(reader: Parsed, writer: Parsed, reader_label: str, writer_label: str) -> list[Reason]:
    return [Reason(kind, path, describe(kind, path, reader_label, writer_label))
            for kind, path in differences(writer.value, reader.value) if kind not in COMPATIBLE_CHANGES]
