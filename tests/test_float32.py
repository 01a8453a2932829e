"""32-bit floats (Avro float, Protobuf float) read as the shortest decimal that names them — 0.1, not
0.10000000149011612 — as Java's Float.toString and Go's protojson print them; written back bit for bit."""

from __future__ import annotations

import struct

import pytest

from convsvc.engine import ConvertRequest, Engine, FormatSpec, SchemaRef
from convsvc.model import InvalidInput, Mode

JSON = FormatSpec("json")
AVRO = FormatSpec("avro", schema=SchemaRef(inline_type="avro", inline_text=(
    '{"type": "record", "name": "R", "fields": [{"name": "f", "type": "float"},'
    ' {"name": "g", "type": {"type": "array", "items": "float"}}, {"name": "u", "type": ["null", "float"]},'
    ' {"name": "m", "type": {"type": "map", "values": "float"}}]}')))
PROTO = FormatSpec("protobuf", message_type="M", schema=SchemaRef(inline_type="protobuf", inline_text=(
    'syntax = "proto3"; import "google/protobuf/wrappers.proto";'
    'message M { float f = 1; repeated float g = 2; map<string, float> m = 3; optional float o = 4;'
    ' google.protobuf.FloatValue w = 5; }')))


def convert(source, target, payload: bytes, mode=Mode.FRAGILE) -> bytes:
    return Engine().convert(ConvertRequest(source, target, payload, mode)).payload


def test_avro_floats_read_as_their_shortest_decimals_everywhere_in_the_value():
    data = convert(JSON, AVRO, b'{"f": 0.1, "g": [3.4028235e38, 1e-45, 2.5], "u": 0.3, "m": {"k": 0.7}}')
    assert data[:4] == struct.pack("<f", 0.1)
    assert convert(AVRO, JSON, data) == b'{"f":0.1,"g":[3.4028235e+38,1e-45,2.5],"u":0.3,"m":{"k":0.7}}'
    assert convert(AVRO, AVRO, data) == data


def test_protobuf_floats_read_as_their_shortest_decimals_in_fields_lists_maps_and_wrappers():
    data = convert(JSON, PROTO, b'{"f": 0.1, "g": [3.4028235e38, 0.7], "m": {"a": 0.2}, "o": 1.1, "w": 0.9}')
    assert convert(PROTO, JSON, data) == b'{"f":0.1,"g":[3.4028235e+38,0.7],"m":{"a":0.2},"o":1.1,"w":0.9}'
    assert convert(PROTO, PROTO, data) == data


def test_a_float32_keeps_its_bits_through_json():
    for bits in (0x00000001, 0x3DCCCCCD, 0x7F7FFFFF, 0x4B800001, 0xC2F6E979):
        value = struct.unpack("<f", struct.pack("<I", bits))[0]
        data = convert(JSON, PROTO, b'{"f": %r}' % value)
        back = convert(JSON, PROTO, convert(PROTO, JSON, data))
        assert back == data, hex(bits)


@pytest.mark.parametrize("text", [b"3.4028236e38", b"3.4028235677973366e38", b"-1e39"])
def test_a_number_that_rounds_past_the_largest_float32_is_refused(text):
    with pytest.raises(InvalidInput) as caught:
        convert(JSON, PROTO, b'{"f": ' + text + b"}", Mode.ROBUST)
    assert caught.value.code.name == "VALUE_OUT_OF_RANGE" and caught.value.issues[0].path == "/f"


def test_a_number_just_below_the_rounding_edge_is_the_largest_float32_with_precision_lost():
    with pytest.raises(InvalidInput) as caught:
        convert(JSON, PROTO, b'{"f": 3.4028235677973362e38}')
    assert caught.value.code.name == "PRECISION_LOST"
    robust = Engine().convert(ConvertRequest(JSON, PROTO, b'{"f": 3.4028235677973362e38}', Mode.ROBUST))
    assert convert(PROTO, JSON, robust.payload) == b'{"f":3.4028235e+38}'


def test_a_float_in_a_union_with_double_stays_exact():
    union = FormatSpec("avro", schema=SchemaRef(inline_type="avro", inline_text=(
        '{"type": "record", "name": "U", "fields": [{"name": "d", "type": ["float", "double"]}]}')))
    # fastavro gives a Python float for either branch: which one wrote it is unknown, so no rounding is guessed
    assert convert(union, JSON, convert(JSON, union, b'{"d": 0.1}')) == b'{"d":0.10000000149011612}'
