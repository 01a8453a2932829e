"""Avro schemas: parsing (fastavro), canonical and normalised forms, fingerprints, and compatibility
by the Avro specification's schema-resolution rules (reader vs writer), as a table of rule functions."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form

from convsvc.registry.errors import InvalidSchema
from convsvc.registry.model import Reason, SchemaType
from convsvc.registry.types import Dependency, Parsed

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})


def load_json(text: str, what: str = "schema") -> object:
    try:
        return json.loads(text)
    except ValueError as error:
        line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
        raise InvalidSchema(f"{what} is not JSON: {getattr(error, 'msg', error)}", line=line,
                            column=column) from None


def compact(value: object) -> str:
    """The stored form: the JSON as given (key order kept), without insignificant whitespace."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def parse(text: str, dependencies: Sequence[Dependency]) -> Parsed:
    named: dict = {}
    for dep in dependencies:
        try:
            fastavro.parse_schema(load_json(dep.text, f"reference {dep.name!r}"), named_schemas=named)
        except InvalidSchema:
            raise
        except Exception as error:  # a stored reference that no longer parses is a registry fault
            raise InvalidSchema(f"reference {dep.name!r} does not parse: {error}") from None
    document = load_json(text)
    try:
        parsed = fastavro.parse_schema(document, named_schemas=named)
    except fastavro.schema.UnknownType as error:
        raise InvalidSchema(f"unknown type {error.name!r} (not defined here nor in a reference)") from None
    except Exception as error:  # fastavro raises SchemaParseException, ValueError, TypeError, KeyError
        raise InvalidSchema(f"{type(error).__name__}: {error}") from None
    canonical_form = to_parsing_canonical_form(parsed)
    return Parsed(
        type=SchemaType.AVRO, canonical=compact(document), normalized=compact(_resolution_form(parsed, set())),
        value=parsed,
        extra={"named": named, "parsing_canonical_form": canonical_form,
               "fingerprints": {"CRC-64-AVRO": fingerprint(canonical_form, "CRC-64-AVRO"),
                                "SHA-256": fingerprint(canonical_form, "SHA-256")}})


# -- the normalised form ---------------------------------------------------------------------------
# Avro's Parsing Canonical Form drops everything that does not change the binary encoding, including
# `default` and `aliases` — which schema resolution (and so compatibility) depends on. normalize=true
# therefore writes the Parsing Canonical Form *plus* those attributes and logical types, so that two
# schemas normalise to the same text exactly when they encode and resolve alike.

_ORDER = ("name", "type", "fields", "symbols", "items", "values", "size", "default", "aliases", "order",
          "logicalType", "precision", "scale")


def _qualified_aliases(node: dict) -> list[str] | None:
    aliases = node.get("aliases")
    if not aliases:
        return None
    namespace = node["name"].rpartition(".")[0] if "name" in node and "." in node["name"] else ""
    return sorted(alias if "." in alias or not namespace else f"{namespace}.{alias}" for alias in aliases)


def _ordered(out: dict) -> dict:
    return {key: out[key] for key in _ORDER if key in out}


def _resolution_form(node: object, seen: set[str]) -> object:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return [_resolution_form(branch, seen) for branch in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if isinstance(kind, (dict, list)):
        return _resolution_form(kind, seen)
    out: dict = {}
    if kind in PRIMITIVES:
        if "logicalType" not in node:
            return kind
        out = {"type": kind, "logicalType": node["logicalType"]}
        for key in ("precision", "scale"):
            if key in node:
                out[key] = node[key]
        return _ordered(out)
    if kind in NAMED:
        name = node["name"]
        if name in seen:
            return name
        seen.add(name)
        out = {"name": name, "type": kind}
        aliases = _qualified_aliases(node)
        if aliases:
            out["aliases"] = aliases
        if kind in ("record", "error"):
            fields = []
            for field in node["fields"]:
                entry = {"name": field["name"], "type": _resolution_form(field["type"], seen)}
                if "default" in field:
                    entry["default"] = field["default"]
                if field.get("aliases"):
                    entry["aliases"] = sorted(field["aliases"])
                if field.get("order", "ascending") != "ascending":
                    entry["order"] = field["order"]
                fields.append(_ordered(entry))
            out["fields"] = fields
        elif kind == "enum":
            out["symbols"] = list(node["symbols"])
            if "default" in node:
                out["default"] = node["default"]
        else:
            out["size"] = node["size"]
            for key in ("logicalType", "precision", "scale"):
                if key in node:
                    out[key] = node[key]
        return _ordered(out)
    if kind == "array":
        return {"type": "array", "items": _resolution_form(node["items"], seen)}
    if kind == "map":
        return {"type": "map", "values": _resolution_form(node["values"], seen)}
    return node


# -- compatibility: the Avro specification's schema resolution ---------------------------------------

PROMOTIONS = {  # reader type -> writer types it can read (Avro spec, "Schema Resolution")
    "long": {"int"},
    "float": {"int", "long"},
    "double": {"int", "long", "float"},
    "string": {"bytes"},
    "bytes": {"string"},
}


class _Resolver:
    """Checks that a reader schema can decode everything a writer schema can write."""

    def __init__(self, reader: Parsed, writer: Parsed, reader_label: str, writer_label: str) -> None:
        self.reader_named = reader.extra["named"]
        self.writer_named = writer.extra["named"]
        self.r = reader_label
        self.w = writer_label
        self.in_progress: set[tuple[int, int]] = set()  # recursive types: a pair being checked is assumed fine

    def resolve(self, node: object, named: dict) -> object:
        while isinstance(node, str) and node not in PRIMITIVES:
            node = named[node]
        if isinstance(node, dict) and isinstance(node.get("type"), (dict, list)):
            return self.resolve(node["type"], named)
        return node

    @staticmethod
    def kind(node: object) -> str:
        if isinstance(node, str):
            return node
        if isinstance(node, list):
            return "union"
        kind = node["type"]
        return "record" if kind == "error" else kind

    def check(self, reader: object, writer: object, path: tuple[str, ...]) -> list[Reason]:
        reader = self.resolve(reader, self.reader_named)
        writer = self.resolve(writer, self.writer_named)
        key = (id(reader), id(writer))
        if key in self.in_progress:
            return []
        self.in_progress.add(key)
        try:
            r_kind, w_kind = self.kind(reader), self.kind(writer)
            if r_kind == w_kind:
                rule = SAME_KIND_RULES.get(r_kind)
                return rule(self, reader, writer, path) if rule else []
            if w_kind == "union":  # every branch the writer may have used must be readable
                reasons = []
                for index, branch in enumerate(writer):
                    reasons += self.check(reader, branch, path)
                return reasons
            if r_kind == "union":
                return _reader_union(self, reader, writer, path)
            if w_kind in PROMOTIONS.get(r_kind, ()):
                return []
            return [self.type_mismatch(reader, writer, path)]
        finally:
            self.in_progress.discard(key)

    def type_mismatch(self, reader: object, writer: object, path: tuple[str, ...]) -> Reason:
        return Reason("TYPE_MISMATCH", _pointer(path),
                      f"The type (path '{_pointer(path)}') of a field in the {self.r} schema does not match with "
                      f"the {self.w} schema (reader type: {self.kind(reader).upper()} not compatible with writer "
                      f"type: {self.kind(writer).upper()})")


def _pointer(path: tuple[str, ...]) -> str:
    return "/" + "/".join(path) if path else "/"


def _simple_name(full: str) -> str:
    return full.rpartition(".")[2]


def _names_match(resolver: _Resolver, reader: dict, writer: dict, path: tuple[str, ...]) -> list[Reason]:
    """The reader's name must equal the writer's (unqualified, as Avro's Java resolver does) or one of
    the reader's aliases must be the writer's full name."""
    if _simple_name(reader["name"]) == _simple_name(writer["name"]):
        return []
    if writer["name"] in (_qualified_aliases(reader) or ()):
        return []
    where = _pointer(path + ("name",))
    return [Reason("NAME_MISMATCH", where, f"The name of the schema has changed (path '{where}'): expected "
                   f"{writer['name']}, found {reader['name']}")]


def _record(resolver: _Resolver, reader: dict, writer: dict, path: tuple[str, ...]) -> list[Reason]:
    reasons = _names_match(resolver, reader, writer, path)
    writer_fields = {field["name"]: field for field in writer["fields"]}
    for index, field in enumerate(reader["fields"]):
        where = path + ("fields", str(index))
        match = writer_fields.get(field["name"])
        if match is None:
            match = next((writer_fields[alias] for alias in field.get("aliases") or () if alias in writer_fields),
                         None)
        if match is None:
            if "default" not in field:
                reasons.append(Reason(
                    "READER_FIELD_MISSING_DEFAULT_VALUE", _pointer(where),
                    f"The field '{field['name']}' at path '{_pointer(where)}' in the {resolver.r} schema has no "
                    f"default value and is missing in the {resolver.w} schema"))
            continue
        reasons += resolver.check(field["type"], match["type"], where + ("type",))
    return reasons


def _enum(resolver: _Resolver, reader: dict, writer: dict, path: tuple[str, ...]) -> list[Reason]:
    reasons = _names_match(resolver, reader, writer, path)
    missing = [symbol for symbol in writer["symbols"] if symbol not in reader["symbols"]]
    if missing and reader.get("default") not in reader["symbols"]:  # a reader default absorbs unknown symbols
        where = _pointer(path + ("symbols",))
        reasons.append(Reason("MISSING_ENUM_SYMBOLS", where,
                              f"The {resolver.r} schema is missing enum symbols '{', '.join(missing)}' at path "
                              f"'{where}' in the {resolver.w} schema"))
    return reasons


def _fixed(resolver: _Resolver, reader: dict, writer: dict, path: tuple[str, ...]) -> list[Reason]:
    reasons = _names_match(resolver, reader, writer, path)
    if reader["size"] != writer["size"]:
        where = _pointer(path + ("size",))
        reasons.append(Reason("FIXED_SIZE_MISMATCH", where,
                              f"The size of FIXED type field at path '{where}' in the {resolver.r} schema does not "
                              f"match with the {resolver.w} schema (expected: {writer['size']}, found: "
                              f"{reader['size']})"))
    return reasons


def _array(resolver: _Resolver, reader: dict, writer: dict, path: tuple[str, ...]) -> list[Reason]:
    return resolver.check(reader["items"], writer["items"], path + ("items",))


def _map(resolver: _Resolver, reader: dict, writer: dict, path: tuple[str, ...]) -> list[Reason]:
    return resolver.check(reader["values"], writer["values"], path + ("values",))


def _union(resolver: _Resolver, reader: list, writer: list, path: tuple[str, ...]) -> list[Reason]:
    """Both unions: each writer branch must be readable by some reader branch."""
    reasons = []
    for index, branch in enumerate(writer):
        if _reader_union(resolver, reader, branch, path + (str(index),)):
            where = _pointer(path + (str(index),))
            reasons.append(Reason("MISSING_UNION_BRANCH", where,
                                  f"The {resolver.r} schema is missing a type inside a union field at path "
                                  f"'{where}' in the {resolver.w} schema (reader union lacking writer type: "
                                  f"{resolver.kind(resolver.resolve(branch, resolver.writer_named)).upper()})"))
    return reasons


def _reader_union(resolver: _Resolver, reader: list, writer: object, path: tuple[str, ...]) -> list[Reason]:
    """A reader union reads a writer's non-union value when some branch can (the first that can)."""
    for branch in reader:
        if not resolver.check(branch, writer, path):
            return []
    where = _pointer(path)
    kind = resolver.kind(resolver.resolve(writer, resolver.writer_named)).upper()
    return [Reason("MISSING_UNION_BRANCH", where,
                   f"The {resolver.r} schema is missing a type inside a union field at path '{where}' in the "
                   f"{resolver.w} schema (reader union lacking writer type: {kind})")]


def _same(resolver: _Resolver, reader: object, writer: object, path: tuple[str, ...]) -> list[Reason]:
    return []


# The rule for a reader and writer of the same kind; different kinds go through unions and promotions.
SAME_KIND_RULES: dict[str, Callable[..., list[Reason]]] = {
    **{primitive: _same for primitive in PRIMITIVES},
    "record": _record,
    "enum": _enum,
    "fixed": _fixed,
    "array": _array,
    "map": _map,
    "union": _union,
}


def compatibility(reader: Parsed, writer: Parsed, reader_label: str, writer_label: str) -> list[Reason]:
    resolver = _Resolver(reader, writer, reader_label, writer_label)
    return resolver.check(reader.value, writer.value, ())
