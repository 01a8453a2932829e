"""Every directed pair of formats converts the example documents, and converting back gives the
source again in canonical form (schemas/examples: one order, described by an Avro, a Protobuf and a
JSON Schema). Canonical form: the values, compared as JSON compares them — map key order is not data
(Protobuf writes map entries sorted), and an optional field that is null and one that is absent say
the same (proto3 presence)."""

from __future__ import annotations

import itertools
import json

import pytest

import convsvc
from convsvc.engine import FormatSpec, SchemaRef
from convsvc.formats import FORMATS
from tests.conftest import ROOT

EXAMPLES = ROOT / "schemas" / "examples"
DOCUMENTS = sorted((EXAMPLES / "documents").glob("*.json"))
AVRO = SchemaRef(inline_text=(EXAMPLES / "order.avsc").read_text(), inline_type="avro")
PROTO = SchemaRef(inline_text=(EXAMPLES / "order.proto").read_text(), inline_type="protobuf")
JSON_SCHEMA = SchemaRef(inline_text=(EXAMPLES / "order.schema.json").read_text(), inline_type="json")

SPECS = {  # each format with the schema it reads the order with
    "json": FormatSpec("json", schema=JSON_SCHEMA),
    "yaml": FormatSpec("yaml", schema=JSON_SCHEMA),
    "avro": FormatSpec("avro", schema=AVRO),
    "protobuf": FormatSpec("protobuf", options={"emit_defaults": "true"}, schema=PROTO, message_type="acme.v1.Order"),
    "xml": FormatSpec("xml", options={"root": "order"}, schema=AVRO),
}
BUILT = [name for name in SPECS if name in FORMATS]
PAIRS = [(a, b) for a, b in itertools.permutations(BUILT, 2)]


def convert(payload: bytes, source: str, target: str) -> bytes:
    """FRAGILE: the conversion is refused if anything is repaired, coerced or lost; INFO notes (such
    as bytes written as base64 text) are allowed."""
    return convsvc.convert(payload, source=SPECS[source], target=SPECS[target]).payload


def test_every_format_of_the_contract_takes_part():
    assert set(SPECS) >= set(FORMATS)


def canonical(payload: bytes, source: str):
    """The payload's values as plain JSON, optional nulls left out."""
    text = convsvc.convert(payload, source=SPECS[source], target=FormatSpec("json")).payload
    return _without_nulls(json.loads(text))


def _without_nulls(value):
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.stem)
@pytest.mark.parametrize("source, target", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_pair_converts_and_converting_back_gives_the_source_again(source, target, document):
    original = convert(document.read_bytes(), "json", source) if source != "json" else document.read_bytes()
    there = convert(original, source, target)
    back = convert(there, target, source)
    assert canonical(back, source) == canonical(original, source)
