"""Compatibility rules per schema type: Avro schema resolution, Confluent's Protobuf and JSON Schema
rules. Each test names a change a user makes and the exact (code, path) pairs it yields."""

from __future__ import annotations

import json

import pytest

from convsvc.registry.errors import InvalidSchema
from convsvc.registry.model import SchemaType
from convsvc.registry.types import compatibility, parse


def avro(schema) -> object:
    return parse(SchemaType.AVRO, json.dumps(schema))


def record(*fields, name="User", **extra):
    return {"type": "record", "name": name, "namespace": "acme", "fields": list(fields), **extra}


def backward(new, old) -> list[tuple[str, str]]:
    """Reasons the new schema cannot read data written with the old one."""
    return [(r.code, r.path) for r in compatibility(new, old)]


# -- Avro -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("writer, reader", [
    ("int", "long"), ("int", "float"), ("int", "double"), ("long", "float"), ("long", "double"),
    ("float", "double"), ("string", "bytes"), ("bytes", "string"),
])
def test_avro_promotions_let_the_reader_widen(writer, reader):
    assert backward(avro(record({"name": "x", "type": reader})), avro(record({"name": "x", "type": writer}))) == []


@pytest.mark.parametrize("writer, reader", [("long", "int"), ("double", "float"), ("string", "int"),
                                            ("boolean", "int")])
def test_avro_narrowing_is_a_type_mismatch_at_the_field(writer, reader):
    assert backward(avro(record({"name": "x", "type": reader})), avro(record({"name": "x", "type": writer}))) == \
        [("TYPE_MISMATCH", "/fields/0/type")]


def test_avro_added_field_needs_a_default():
    old = avro(record({"name": "id", "type": "long"}))
    assert backward(avro(record({"name": "id", "type": "long"}, {"name": "e", "type": "string"})), old) == \
        [("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1")]
    assert backward(avro(record({"name": "id", "type": "long"}, {"name": "e", "type": "string", "default": ""})),
                    old) == []


def test_avro_removed_field_is_fine_for_the_reader():
    old = avro(record({"name": "id", "type": "long"}, {"name": "e", "type": "string"}))
    assert backward(avro(record({"name": "id", "type": "long"})), old) == []


def test_avro_field_alias_matches_a_renamed_field():
    old = avro(record({"name": "mail", "type": "string"}))
    new = avro(record({"name": "email", "type": "string", "aliases": ["mail"]}))
    assert backward(new, old) == []
    assert backward(avro(record({"name": "email", "type": "string"})), old) == \
        [("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/0")]


def test_avro_record_rename_needs_an_alias_with_the_full_name():
    old = avro(record({"name": "id", "type": "long"}, name="Old"))
    assert backward(avro(record({"name": "id", "type": "long"}, name="New")), old) == [("NAME_MISMATCH", "/name")]
    assert backward(avro(record({"name": "id", "type": "long"}, name="New", aliases=["acme.Old"])), old) == []
    assert backward(avro(record({"name": "id", "type": "long"}, name="New", aliases=["Old"])), old) == []


def test_avro_enum_reader_missing_a_symbol_unless_it_has_a_default():
    def enum(symbols, **extra):
        return avro(record({"name": "k", "type": {"type": "enum", "name": "K", "symbols": symbols, **extra}}))

    assert backward(enum(["A"]), enum(["A", "B"])) == [("MISSING_ENUM_SYMBOLS", "/fields/0/type/symbols")]
    assert backward(enum(["A", "U"], default="U"), enum(["A", "B"])) == []
    assert backward(enum(["A", "B", "C"]), enum(["A", "B"])) == []


def test_avro_fixed_size_must_match():
    def fixed(size):
        return avro(record({"name": "f", "type": {"type": "fixed", "name": "F", "size": size}}))

    assert backward(fixed(8), fixed(16)) == [("FIXED_SIZE_MISMATCH", "/fields/0/type/size")]


def test_avro_unions_reader_must_cover_every_writer_branch():
    def field(kind):
        return avro(record({"name": "v", "type": kind}))

    assert backward(field(["null", "string", "long"]), field(["null", "string"])) == []
    assert backward(field(["null", "string"]), field(["null", "string", "long"])) == \
        [("MISSING_UNION_BRANCH", "/fields/0/type/2")]
    assert backward(field(["null", "string"]), field("string")) == []
    assert backward(field("string"), field(["null", "string"])) == [("TYPE_MISMATCH", "/fields/0/type")]
    assert backward(field(["null", "double"]), field("int")) == []  # promotion inside a union


def test_avro_arrays_and_maps_compare_their_items_and_values():
    old = avro(record({"name": "a", "type": {"type": "array", "items": "long"}},
                      {"name": "m", "type": {"type": "map", "values": "int"}}))
    new = avro(record({"name": "a", "type": {"type": "array", "items": "int"}},
                      {"name": "m", "type": {"type": "map", "values": "long"}}))
    assert backward(new, old) == [("TYPE_MISMATCH", "/fields/0/type/items")]


def test_avro_recursive_schemas_terminate():
    node = avro(record({"name": "next", "type": ["null", "acme.Node"], "default": None}, name="Node"))
    assert backward(node, node) == []


def test_avro_reasons_use_new_and_old_in_their_sentences():
    [reason] = compatibility(avro(record({"name": "e", "type": "string"})), avro(record()))
    assert reason.message == ("The field 'e' at path '/fields/0' in the new schema has no default value and is "
                              "missing in the old schema")


def test_avro_normal_form_keeps_defaults_and_aliases_and_drops_docs():
    parsed = avro(record({"name": "id", "type": "long", "default": 0, "doc": "x", "aliases": ["ident"]},
                         doc="a user", aliases=["Person"]))
    assert parsed.normalized == ('{"name":"acme.User","type":"record","fields":[{"name":"id","type":"long",'
                                 '"default":0,"aliases":["ident"]}],"aliases":["acme.Person"]}')
    assert parsed.extra["parsing_canonical_form"] == \
        '{"name":"acme.User","type":"record","fields":[{"name":"id","type":"long"}]}'


def test_avro_bad_default_is_an_invalid_schema():
    with pytest.raises(InvalidSchema, match="Default value"):
        avro(record({"name": "id", "type": "long", "default": "zero"}))


# -- Protobuf -------------------------------------------------------------------------------------------

def proto(body: str, package: str = "acme.v1", imports: str = "") -> object:
    return parse(SchemaType.PROTOBUF, f'syntax = "proto3";\npackage {package};\n{imports}\n{body}\n')


def test_protobuf_adding_and_removing_optional_fields_is_compatible():
    old = proto("message Order { string id = 1; int64 qty = 2; }")
    assert backward(proto("message Order { string id = 1; }"), old) == []
    assert backward(proto("message Order { string id = 1; int64 qty = 2; string note = 3; }"), old) == []


def test_protobuf_renaming_a_field_is_compatible_but_changing_its_kind_is_not():
    old = proto("message Order { string id = 1; Line line = 2; } message Line { int32 n = 1; }")
    assert backward(proto("message Order { string ident = 1; Line line = 2; } message Line { int32 n = 1; }"),
                    old) == []
    assert backward(proto("message Order { string id = 1; int32 line = 2; } message Line { int32 n = 1; }"),
                    old) == [("FIELD_KIND_CHANGED", "#/Order/2")]


def test_protobuf_scalar_kinds_follow_the_wire_encoding():
    old = proto("message M { int32 a = 1; sint32 b = 2; string c = 3; fixed32 d = 4; }")
    same_wire = proto("message M { int64 a = 1; sint64 b = 2; bytes c = 3; sfixed32 d = 4; }")
    assert backward(same_wire, old) == []
    assert backward(proto("message M { sint32 a = 1; sint32 b = 2; string c = 3; fixed32 d = 4; }"), old) == \
        [("FIELD_SCALAR_KIND_CHANGED", "#/M/1")]


def test_protobuf_removing_a_message_or_changing_the_package_is_incompatible():
    old = proto("message A { int32 x = 1; } message B { int32 y = 1; }")
    assert backward(proto("message A { int32 x = 1; }"), old) == [("MESSAGE_REMOVED", "#/B")]
    assert backward(proto("message A { int32 x = 1; } message B { int32 y = 1; }", package="acme.v2"), old) == \
        [("PACKAGE_CHANGED", "#/")]


def test_protobuf_moving_fields_into_a_new_oneof():
    old = proto("message M { int32 a = 1; int32 b = 2; }")
    assert backward(proto("message M { oneof choice { int32 a = 1; } int32 b = 2; }"), old) == []
    assert backward(proto("message M { oneof choice { int32 a = 1; int32 b = 2; } }"), old) == \
        [("MULTIPLE_FIELDS_MOVED_TO_ONEOF", "#/M/choice")]


def test_protobuf_removing_a_oneof_member_is_incompatible():
    old = proto("message M { oneof choice { int32 a = 1; string b = 2; } }")
    assert backward(proto("message M { oneof choice { int32 a = 1; } }"), old) == \
        [("ONEOF_FIELD_REMOVED", "#/M/choice/2")]


def test_protobuf_changed_nested_message_type_is_reported_at_both_levels():
    old = proto("message Order { Line line = 1; } message Line { int32 n = 1; }")
    new = proto("message Order { Line line = 1; } message Line { string n = 1; }")
    assert backward(new, old) == [("FIELD_SCALAR_KIND_CHANGED", "#/Line/1"),
                                  ("FIELD_SCALAR_KIND_CHANGED", "#/Line/1"), ("FIELD_NAMED_TYPE_CHANGED", "#/Order/1")]


def test_protobuf_proto2_required_fields():
    old = parse(SchemaType.PROTOBUF, 'syntax = "proto2"; message M { required int32 a = 1; }')
    new = parse(SchemaType.PROTOBUF, 'syntax = "proto2"; message M { required int32 a = 1; required int32 b = 2; }')
    assert backward(new, old) == [("REQUIRED_FIELD_ADDED", "#/M/2")]
    assert backward(old, new) == [("REQUIRED_FIELD_REMOVED", "#/M/2")]


def test_protobuf_well_known_imports_compile():
    parsed = proto("message Event { google.protobuf.Timestamp at = 1; google.protobuf.Struct data = 2; }",
                   imports='import "google/protobuf/timestamp.proto";\nimport "google/protobuf/struct.proto";')
    assert parsed.value.message_names() == ["acme.v1.Event"]
    assert ".google.protobuf.Timestamp at = 1;" in parsed.canonical


def test_protobuf_text_and_serialized_descriptor_have_one_canonical_form():
    text = proto("message Order { string id = 1; map<string, int64> qty = 2; optional string note = 3; }")
    again = parse(SchemaType.PROTOBUF, text.value.serialized())
    assert again.canonical == text.canonical
    assert parse(SchemaType.PROTOBUF, text.canonical).canonical == text.canonical


def test_protobuf_syntax_errors_name_line_and_column():
    with pytest.raises(InvalidSchema) as refused:
        parse(SchemaType.PROTOBUF, 'syntax = "proto3";\nmessage X {\n  strin id = 1;\n}\n')
    assert (refused.value.line, refused.value.column) == (3, 3)
    assert '"strin" is not defined' in refused.value.message


# -- JSON Schema ----------------------------------------------------------------------------------------

def js(schema) -> object:
    return parse(SchemaType.JSON, json.dumps(schema))


def obj(properties, **extra):
    return {"type": "object", "properties": properties, **extra}


def test_json_open_model_adding_a_typed_property_is_incompatible():
    old = js(obj({"a": {"type": "string"}}))
    assert backward(js(obj({"a": {"type": "string"}, "b": {"type": "integer"}})), old) == \
        [("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "#/properties/b")]
    assert backward(js(obj({"a": {"type": "string"}})), js(obj({"a": {"type": "string"}, "b": {}}))) == []


def test_json_closed_model_adding_an_optional_property_is_compatible_but_removing_one_is_not():
    old = js(obj({"a": {"type": "string"}}, additionalProperties=False))
    grown = js(obj({"a": {"type": "string"}, "b": {"type": "integer"}}, additionalProperties=False))
    assert backward(grown, old) == []
    assert backward(old, grown) == [("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "#/properties/b")]
    required = js(obj({"a": {"type": "string"}, "b": {"type": "integer"}}, additionalProperties=False,
                      required=["b"]))
    assert backward(required, old) == [("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", "#/properties/b")]


def test_json_partially_open_model_covers_properties_of_a_matching_type():
    old = js(obj({"a": {"type": "string"}}, additionalProperties={"type": "string"}))
    assert backward(js(obj({"a": {"type": "string"}, "b": {"type": "string"}},
                           additionalProperties={"type": "string"})), old) == []
    assert backward(js(obj({"a": {"type": "string"}, "b": {"type": "integer"}},
                           additionalProperties={"type": "string"})), old) == \
        [("TYPE_CHANGED", "#/properties/b"),
         ("PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "#/properties/b")]


def test_json_numbers_widen_but_do_not_narrow():
    assert backward(js({"type": "number"}), js({"type": "integer"})) == []
    assert backward(js({"type": "integer"}), js({"type": "number"})) == [("TYPE_NARROWED", "#/")]


def test_json_tighter_limits_are_incompatible():
    assert backward(js({"type": "string", "maxLength": 5}), js({"type": "string", "maxLength": 10})) == \
        [("MAX_LENGTH_DECREASED", "#/maxLength")]
    assert backward(js({"type": "string", "maxLength": 20}), js({"type": "string", "maxLength": 10})) == []
    assert backward(js({"type": "string", "pattern": "^a"}), js({"type": "string"})) == \
        [("PATTERN_ADDED", "#/pattern")]


def test_json_enums_may_grow_not_shrink():
    assert backward(js({"enum": ["a", "b", "c"]}), js({"enum": ["a", "b"]})) == []
    assert backward(js({"enum": ["a"]}), js({"enum": ["a", "b"]})) == [("ENUM_ARRAY_NARROWED", "#/enum")]


def test_json_union_may_gain_a_branch():
    assert backward(js({"type": ["string", "null"]}), js({"type": "string"})) == []
    assert backward(js({"oneOf": [{"type": "string"}]}), js({"oneOf": [{"type": "string"}, {"type": "null"}]})) == \
        [("SUM_TYPE_NARROWED", "#/")]


def test_json_refs_resolve_inside_the_document():
    schema = {"definitions": {"name": {"type": "string"}}, "type": "object",
              "properties": {"a": {"$ref": "#/definitions/name"}}}
    changed = {"definitions": {"name": {"type": "integer"}}, "type": "object",
               "properties": {"a": {"$ref": "#/definitions/name"}}}
    assert backward(js(changed), js(schema)) == [("TYPE_CHANGED", "#/properties/a")]


def test_json_invalid_schema_names_the_path():
    with pytest.raises(InvalidSchema) as refused:
        js(obj({"a": {"type": "strng"}}))
    assert refused.value.path == "/properties/a/type"
