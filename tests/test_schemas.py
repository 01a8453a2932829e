"""Schemas compile once into a Shape and a library form; JSON Schema validates JSON-side documents."""

from __future__ import annotations

import pytest

import convsvc
from convsvc.engine import FormatSpec, SchemaRef
from convsvc.model import Code, InvalidInput, InvalidRequest
from convsvc.model.shape import Kind
from convsvc.schemas import SchemaError, SchemaSource, compile_schema
from convsvc.schemas.avro import crc64_fingerprint

ORDER_SCHEMA = ('{"type": "object", "properties": {"id": {"type": "integer"}, '
                '"tags": {"type": "array", "items": {"type": "string"}}}, '
                '"required": ["id"], "additionalProperties": false}')


def with_schema(fmt: str, text: str, schema_type: str = "") -> FormatSpec:
    return FormatSpec(fmt, schema=SchemaRef(inline_text=text, inline_type=schema_type))


def test_document_matching_the_json_schema_converts():
    assert convsvc.convert(b'{"id": 7, "tags": ["a"]}', source=with_schema("json", ORDER_SCHEMA),
                           target="json").payload == b'{"id":7,"tags":["a"]}'


@pytest.mark.parametrize("mode", ["fragile", "robust"])
def test_every_json_schema_violation_is_listed_with_its_pointer_in_both_modes(mode):
    with pytest.raises(InvalidInput) as caught:
        convsvc.convert(b'{"tags": [1, "a", true], "extra": 0}', source=with_schema("json", ORDER_SCHEMA),
                        target="json", mode=mode)
    assert [(issue.code, issue.path) for issue in caught.value.issues] == [
        (Code.SCHEMA_VIOLATION, ""), (Code.SCHEMA_VIOLATION, ""),
        (Code.SCHEMA_VIOLATION, "/tags/0"), (Code.SCHEMA_VIOLATION, "/tags/2")]
    assert caught.value.issues[2].message == "1 is not of type 'string' (source schema)"


def test_target_json_schema_is_checked_too():
    with pytest.raises(InvalidInput) as caught:
        convsvc.convert(b'{"id": "seven"}', source="json", target=with_schema("json", ORDER_SCHEMA))
    assert caught.value.issues[0].message == "'seven' is not of type 'integer' (target schema)"


def test_draft_7_schemas_are_accepted():
    schema = '{"$schema": "http://json-schema.org/draft-07/schema#", "type": "array", "items": {"type": "number"}}'
    with pytest.raises(InvalidInput):
        convsvc.convert(b'[1, "x"]', source=with_schema("json", schema), target="json")


def test_invalid_json_schema_is_an_invalid_request_naming_the_keyword():
    with pytest.raises(InvalidRequest) as caught:
        convsvc.convert(b"1", source=with_schema("json", '{"type": 5}'), target="json")
    assert (caught.value.code, caught.value.issues[0].path) == (Code.INVALID_SCHEMA, "source.schema/type")


def test_schema_of_a_type_the_format_cannot_use_is_refused():
    with pytest.raises(InvalidRequest) as caught:
        convsvc.convert(b"1", source=with_schema("json", '"string"', "avro"), target="json")
    assert caught.value.issues[0].message == "json uses json schemas, not avro ones"


def test_a_schema_compiles_once_per_process():
    source = SchemaSource("json", '{"type": "integer"}')
    assert compile_schema(source) is compile_schema(SchemaSource("json", '{"type": "integer"}'))


def test_recursive_avro_record_becomes_a_shape_that_points_to_itself():
    compiled = compile_schema(SchemaSource("avro", '''{"type": "record", "name": "Node", "namespace": "t",
        "fields": [{"name": "value", "type": ["null", "long"], "default": null},
                   {"name": "children", "type": {"type": "array", "items": "Node"}},
                   {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
                   {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}}]}'''))
    shape = compiled.shape
    assert (shape.kind, shape.name) == (Kind.RECORD, "t.Node")
    assert shape.field("children").shape.items is shape
    assert shape.field("value").shape.nullable and shape.field("value").shape.without_null().kind is Kind.INT64
    assert (shape.field("at").shape.kind, shape.field("at").shape.unit) == (Kind.TIMESTAMP, "micros")
    assert shape.field("amount").shape.describe() == "decimal(9,2)"


def spec_crc64(data: bytes) -> int:
    """CRC-64-AVRO exactly as the Avro specification's reference code computes it."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


@pytest.mark.parametrize("schema, canonical", [
    ("string", b'"string"'),
    ({"type": "record", "name": "R", "namespace": "a", "doc": "dropped",
      "fields": [{"name": "x", "type": "long", "default": 1}]},
     b'{"name":"a.R","type":"record","fields":[{"name":"x","type":"long"}]}'),
])
def test_avro_fingerprint_is_the_little_endian_crc64_of_the_parsing_canonical_form(schema, canonical):
    assert crc64_fingerprint(schema) == spec_crc64(canonical).to_bytes(8, "little")


def test_proto_text_compiles_with_well_known_imports_into_a_message_class_and_shape():
    compiled = compile_schema(SchemaSource("protobuf", '''syntax = "proto3"; package acme.v1;
        import "google/protobuf/timestamp.proto";
        message Order { string id = 1; repeated Line lines = 2; map<string, int64> tags = 3;
                        google.protobuf.Timestamp at = 4; Order parent = 5; }
        message Line { int32 qty = 1; bytes sku = 2; }''', message_type="acme.v1.Order"))
    shape = compiled.shape
    assert [(f.name, f.number, f.shape.describe()) for f in shape.fields] == [
        ("id", 1, "string"), ("lines", 2, "array<record acme.v1.Line>"), ("tags", 3, "map<int64>"),
        ("at", 4, "timestamp"), ("parent", 5, "record acme.v1.Order")]
    assert compiled.compiled(id="x").id == "x"


def test_invalid_proto_text_names_the_line_and_column():
    with pytest.raises(SchemaError) as caught:
        compile_schema(SchemaSource("protobuf", 'syntax = "proto3";\nmessage A { strin x = 1; }'))
    assert str(caught.value) == 'invalid .proto: schema.proto:2:13: "strin" is not defined.'
