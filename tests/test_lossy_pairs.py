"""Pairs that are lossy by nature: ROBUST converts and reports exactly what was lost; FRAGILE refuses
with the same issues (the complement of tests/test_format_matrix.py, where nothing may be lost)."""

from __future__ import annotations

import pytest

import convsvc
from convsvc.engine import FormatSpec, SchemaRef
from convsvc.model import Code, InvalidInput

PROTO = SchemaRef(inline_text='syntax = "proto3"; package t; message M { int32 n = 1; repeated string tags = 2; }',
                  inline_type="protobuf")
AVRO_FLOAT = SchemaRef(inline_text='{"type": "record", "name": "R", "fields": [{"name": "f", "type": "float"}]}',
                       inline_type="avro")

CASES = [  # (id, payload, source, target, robust output, [(code, path)])
    ("yaml-nan-to-json", b"x: .nan\n", FormatSpec("yaml"), FormatSpec("json"), b'{"x":null}',
     [(Code.NON_FINITE_NUMBER, "/x")]),
    ("yaml-int-key-to-json", b"1: one\n", FormatSpec("yaml"), FormatSpec("json"), b'{"1":"one"}',
     [(Code.NON_STRING_KEY, "")]),
    ("json-unknown-field-to-protobuf", b'{"n": 1, "extra": true}', FormatSpec("json"),
     FormatSpec("protobuf", schema=PROTO, message_type="t.M"), b"\x08\x01", [(Code.UNKNOWN_FIELD_DROPPED, "/extra")]),
    ("json-string-number-to-protobuf-int", b'{"n": "7"}', FormatSpec("json"),
     FormatSpec("protobuf", schema=PROTO, message_type="t.M"), b"\x08\x07", [(Code.COERCED_STRING_TO_NUMBER, "/n")]),
    ("json-one-item-array-to-xml", b'{"doc": {"item": [1]}}', FormatSpec("json"), FormatSpec("xml"),
     b'<?xml version="1.0" encoding="UTF-8"?>\n<doc><item>1</item></doc>', [(Code.XML_ARRAY_OF_ONE, "/doc/item")]),
    ("json-double-to-avro-float", b'{"f": 0.123456789}', FormatSpec("json"), FormatSpec("avro", schema=AVRO_FLOAT),
     b"\xea\xd6\xfc\x3d", [(Code.PRECISION_LOST, "/f")]),
    ("jsonl-to-json", b"1\n2\n", FormatSpec("json", "jsonl"), FormatSpec("json"), b"[1,2]",
     [(Code.MULTIPLE_DOCUMENTS, "")]),
]


@pytest.mark.parametrize("payload, source, target, output, issues", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_robust_converts_and_reports_exactly_what_was_lost(payload, source, target, output, issues):
    result = convsvc.convert(payload, source=source, target=target, mode="robust")
    assert result.payload == output
    assert [(issue.code, issue.path) for issue in result.report if issue.level.name != "INFO"] == issues


# FRAGILE does not try a coercion that only ROBUST may make: it refuses the value as it is.
FRAGILE_SEES = {"json-string-number-to-protobuf-int": [(Code.SCHEMA_VIOLATION, "/n")]}


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_fragile_refuses_listing_the_same_losses(case):
    name, payload, source, target, _, issues = case
    with pytest.raises(InvalidInput) as caught:
        convsvc.convert(payload, source=source, target=target, mode="fragile")
    assert [(issue.code, issue.path) for issue in caught.value.issues] == FRAGILE_SEES.get(name, issues)
