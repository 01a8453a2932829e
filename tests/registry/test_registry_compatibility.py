"""Compatibility rules per schema type: Avro schema resolution, Confluent's Protobuf and JSON Schema
rules. The changes a user makes and the exact (code, path) pairs each yields per level are the data of
corpus/registry-compat/ (one file per schema type), judged through the registry by the corpus suite's
judge (convsvc/corpus/suites/registry_compat.py, the one `convsvc corpus run` uses); the tests below
them check sentences, normal forms and schema errors."""

from __future__ import annotations

import json

import pytest

from convsvc.corpus.suites import cases, judge
from convsvc.corpus.targets import InProcessTarget
from convsvc.registry.errors import InvalidSchema
from convsvc.registry.model import SchemaType
from convsvc.registry.types import compatibility, parse

CASES = cases("registry-compat")


@pytest.fixture(scope="module")
def target():
    engine = InProcessTarget()  # its registry: a temporary SQLite file
    yield engine
    engine.close()


def test_every_schema_type_has_cases_at_every_level_kind():
    assert {case.data["type"] for case in CASES} == {"AVRO", "PROTOBUF", "JSON"}
    for schema_type in ("AVRO", "PROTOBUF", "JSON"):
        levels = {case.data["level"] for case in CASES if case.data["type"] == schema_type}
        assert {"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
                "FULL_TRANSITIVE"} <= levels, schema_type


@pytest.mark.parametrize("case", CASES, ids=[case.id.split("/", 1)[1] for case in CASES])
def test_compatibility_case(case, target):
    judgement = judge(case, target)
    assert judgement.passed, judgement.describe()


def avro(schema) -> object:
    return parse(SchemaType.AVRO, json.dumps(schema))


def record(*fields, name="User", **extra):
    return {"type": "record", "name": name, "namespace": "acme", "fields": list(fields), **extra}


# -- Avro -----------------------------------------------------------------------------------------------

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


def test_json_invalid_schema_names_the_path():
    with pytest.raises(InvalidSchema) as refused:
        js(obj({"a": {"type": "strng"}}))
    assert refused.value.path == "/properties/a/type"
