"""Structure-aware round trips: build a canonical value from the fuzzer's bytes, encode it, decode it:
decode ∘ encode must be the identity on canonical values, for every lossless encoding.

Generic values (null, bool, ints of any size, finite doubles, any Unicode text, arrays, objects) go
through json, jsonl, yaml and the XPath XML mapping; the same values wrapped in a recursive Avro union
schema go through every Avro encoding (ints within 64 bits); typed Protobuf messages go through binary,
ProtoJSON and delimited streams (a message is first brought to its canonical form by one round trip:
defaults are implicit in proto3, floats are 32-bit).
"""

import contextlib
import pathlib
import struct
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import atheris  # its FuzzedDataProvider decodes the bytes the same way when replaying a corpus

FUZZING = __name__ == "__main__"
with atheris.instrument_imports(include=["convsvc"]) if FUZZING else contextlib.nullcontext():
    from convsvc.formats import avro_codec, json_codec, protobuf_codec, xml_codec, yaml_codec
    from convsvc.model import ConversionError

from fuzz import avro_schemas
from fuzz.common import FuzzFinding, assert_same, avro_schema, check_canonical, context, main, protobuf_schema

INT64 = (-(2**63), 2**63 - 1)
GENERIC = [(json_codec, "json", {}), (json_codec, "json", {"indent": "2"}), (json_codec, "jsonl", {}),
           (yaml_codec, "yaml", {}), (xml_codec, "xpath", {}), (xml_codec, "xpath", {"indent": "2"})]
AVRO = [("binary", {}), ("single-object", {}), ("json", {}), ("ocf", {}), ("ocf", {"codec": "deflate"}),
        ("ocf", {"codec": "snappy"}), ("ocf", {"codec": "zstandard"})]
PROTOBUF = [("binary", {}), ("json", {}), ("json", {"names": "proto"}), ("delimited", {})]


class Values:
    """Canonical values drawn from the fuzzer's bytes (atheris's FuzzedDataProvider)."""

    def __init__(self, data: bytes) -> None:
        self.fdp = atheris.FuzzedDataProvider(data)

    def pick(self, count: int) -> int:
        return self.fdp.ConsumeIntInRange(0, count - 1)

    def text(self, most: int = 12) -> str:
        return self.fdp.ConsumeUnicodeNoSurrogates(self.fdp.ConsumeIntInRange(0, most))

    def integer(self, within_64_bits: bool) -> int:
        if within_64_bits:
            return self.fdp.ConsumeIntInRange(*INT64)
        return self.fdp.ConsumeInt(self.fdp.ConsumeIntInRange(1, 16))

    def json_value(self, depth: int = 0, within_64_bits: bool = False):
        kind = self.pick(7 if depth < 6 else 5)
        if kind == 0:
            return None
        if kind == 1:
            return self.fdp.ConsumeBool()
        if kind == 2:
            return self.integer(within_64_bits)
        if kind == 3:
            return self.fdp.ConsumeRegularFloat()
        if kind == 4:
            return self.text()
        if kind == 5:
            return [self.json_value(depth + 1, within_64_bits) for _ in range(self.pick(5))]
        return {self.text(6): self.json_value(depth + 1, within_64_bits) for _ in range(self.pick(5))}

    def float32(self) -> float:
        return struct.unpack("<f", struct.pack("<f", self.fdp.ConsumeFloatInRange(-3.0e38, 3.0e38)))[0]

    def scalars(self) -> dict:
        f = self.fdp
        fields = {
            "f_double": lambda: f.ConsumeRegularFloat(), "f_float": self.float32,
            "f_int32": lambda: f.ConsumeIntInRange(-(2**31), 2**31 - 1),
            "f_int64": lambda: f.ConsumeIntInRange(*INT64), "f_uint32": lambda: f.ConsumeIntInRange(0, 2**32 - 1),
            "f_uint64": lambda: f.ConsumeIntInRange(0, 2**64 - 1),
            "f_sint32": lambda: f.ConsumeIntInRange(-(2**31), 2**31 - 1),
            "f_sint64": lambda: f.ConsumeIntInRange(*INT64), "f_fixed32": lambda: f.ConsumeIntInRange(0, 2**32 - 1),
            "f_fixed64": lambda: f.ConsumeIntInRange(0, 2**64 - 1),
            "f_sfixed32": lambda: f.ConsumeIntInRange(-(2**31), 2**31 - 1),
            "f_sfixed64": lambda: f.ConsumeIntInRange(*INT64), "f_bool": f.ConsumeBool, "f_string": self.text,
            "f_bytes": lambda: f.ConsumeBytes(self.pick(10)),
            "f_enum": lambda: ("COLOR_UNSPECIFIED", "COLOR_RED", "COLOR_GREEN")[self.pick(3)],
        }
        return {name: make() for name, make in fields.items() if f.ConsumeBool()}

    def node(self, depth: int = 0) -> dict:
        out = {"name": self.text(6)}
        if depth < 4:
            out["children"] = [self.node(depth + 1) for _ in range(self.pick(3))]
        return out

    def everything(self) -> dict:
        f = self.fdp
        value = {"scalars": self.scalars(), "r_int64": [f.ConsumeIntInRange(*INT64) for _ in range(self.pick(4))],
                 "r_string": [self.text() for _ in range(self.pick(3))],
                 "m_string_int32": {self.text(5): f.ConsumeIntInRange(-(2**31), 2**31 - 1) for _ in range(self.pick(3))},
                 "m_int64_string": {f.ConsumeIntInRange(*INT64): self.text() for _ in range(self.pick(3))},
                 "r_float": [self.float32() for _ in range(self.pick(3))], "tree": self.node()}
        choice = self.pick(3)
        value[("c_text", "c_number", "c_scalars")[choice]] = (self.text(), f.ConsumeIntInRange(*INT64),
                                                              self.scalars())[choice]
        if f.ConsumeBool():
            value["o_int32"] = 0  # explicit presence: zero is still there
        return value


def wrap_for_avro(value):
    """A JSON value in the shape of avro_schemas.JSON_VALUE: every node as {"v": branch}."""
    if isinstance(value, list):
        return {"v": [wrap_for_avro(item) for item in value]}
    if isinstance(value, dict):
        return {"v": {key: wrap_for_avro(item) for key, item in value.items()}}
    return {"v": value}


def round_trip(codec, value, documents, make_ctx, what: str) -> None:
    try:
        data = codec.encode(documents, make_ctx())
    except ConversionError as error:
        raise FuzzFinding(f"{what}: the encoder refused a canonical value: {error}") from None
    try:
        again = codec.decode(data, make_ctx())
    except ConversionError as error:
        raise FuzzFinding(f"{what}: the decoder refused the encoder's output {data[:200]!r}: {error}") from None
    assert_same(again, documents, f"{what}: decode(encode(value)) != value for {value!r}"[:2000])


def test_one_input(data: bytes) -> None:
    values = Values(data)
    family = values.pick(3)
    if family == 0:
        codec, encoding, options = GENERIC[values.pick(len(GENERIC))]
        documents = [values.json_value() for _ in range(1 + values.pick(3))] if encoding in ("jsonl", "yaml") \
            else [values.json_value()]
        for document in documents:
            check_canonical(document, 10**6)
        round_trip(codec, documents, documents, lambda: context(encoding, options=options), f"{codec.NAME}/{encoding}")
    elif family == 1:
        encoding, options = AVRO[values.pick(len(AVRO))]
        many = encoding in ("ocf", "json")
        documents = [wrap_for_avro(values.json_value(within_64_bits=True)) for _ in range(1 + many * values.pick(3))]
        schema = avro_schema(avro_schemas.JSON_VALUE)
        round_trip(avro_codec, documents, documents, lambda: context(encoding, schema=schema, options=options),
                   f"avro/{encoding}")
    else:
        encoding, options = PROTOBUF[values.pick(len(PROTOBUF))]
        schema = protobuf_schema("Everything")
        documents = [values.everything() for _ in range(1 + (encoding == "delimited") * values.pick(3))]

        def make_ctx():
            return context(encoding, schema=schema, options=options)

        try:
            canonical = protobuf_codec.decode(protobuf_codec.encode(documents, make_ctx()), make_ctx())
        except ConversionError as error:
            raise FuzzFinding(f"protobuf/{encoding}: a valid message was refused: {error}") from None
        round_trip(protobuf_codec, documents, canonical, make_ctx, f"protobuf/{encoding}")


if __name__ == "__main__":
    main(test_one_input)
