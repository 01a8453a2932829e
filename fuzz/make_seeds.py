"""Write the seed corpora of fuzz/corpus/<harness>/ from the project's corpora, the shared test suites
and values the codecs encode themselves. Each seed is the harness's flags byte, then the payload.

    .venv/bin/python fuzz/make_seeds.py      (rewrites fuzz/corpus/; review the diff like code)
"""

import hashlib
import json
import pathlib
import shutil
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from convsvc.formats import avro_codec, json_codec, protobuf_codec, xml_codec  # noqa: E402
from fuzz import avro_schemas  # noqa: E402
from fuzz.common import ROOT, avro_schema, context, protobuf_schema  # noqa: E402

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"
SHARED = ROOT.parent / "shared" / "corpora"
MAX_SEED = 4096


def write(harness: str, flags: int, payload: bytes) -> None:
    data = bytes([flags]) + payload
    if len(data) > MAX_SEED:
        return
    folder = CORPUS / harness
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def files(folder: pathlib.Path, pattern: str) -> list[pathlib.Path]:
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


def json_seeds() -> None:
    suite = files(SHARED / "JSONTestSuite" / "test_parsing", "*.json")
    repair = files(ROOT / "corpus" / "repair", "*.in")
    for path in suite:
        for flags in (0, 2):
            write("json", flags, path.read_bytes())
        write("repair", 0, path.read_bytes())
    write("json", 1, b'{"a":1}\n[2]\n\n"x"\r\n')
    for path in repair:
        for flags in (0, 2):
            write("repair", flags, path.read_bytes())
    write("repair", 1, b"{'a': 1,}\n[1 2]\n")
    for bomb in (b"[" * 300, b'{"a":' * 300, b"1" * 2000, b'"' + b"x" * 3000 + b'"'):
        write("json", 2, bomb)
        write("repair", 2, bomb)


def yaml_seeds() -> None:
    for path in files(SHARED / "yaml-test-suite", "*/in.yaml") + files(SHARED / "yaml-test-suite", "*/*/in.yaml"):
        write("yaml", 0, path.read_bytes())
    laughs = "\n".join(['a: &a ["lol","lol"]'] + [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 4)}]"
                                                  for i in range(6)]) + "\n"
    for text in (laughs, "&a [*a]", "#\t\n" + laughs, "- " * 50 + "x\n", "a: !!binary aGk=\nb: !!int 0x1f\n",
                 "---\na: 1\n...\n---\n- b\n", "? [a, b]\n: c\n", "a: |\n  x\n  y\nb: >-\n  z\n"):
        for flags in (0, 1, 3):
            write("yaml", flags, text.encode())


def avro_seeds() -> None:
    from fuzz.fuzz_avro import ENCODINGS

    value = {"b": True, "i": -5, "l": 2**40, "f": 1.5, "d": -0.25, "s": "zoë", "by": b"\x00\xff", "fx": b"abcd",
             "e": "GREEN", "u": [1, 2], "a": [1.0, 2.5], "m": {"k": None, "q": 2.0}, "dec": "123.456",
             "fdec": "-1.25", "uid": "6f1c7a2e-8a83-4e0c-9d1c-1b7f3f5d2a11", "day": "2024-02-29",
             "tms": "12:34:56.789", "tus": "00:00:00.000001", "tsm": "2024-05-01T10:00:00.123+00:00",
             "tsu": "1970-01-01T00:00:00.000001+00:00", "lts": "2024-05-01T10:00:00",
             "node": {"name": "root", "next": {"name": "n", "next": None, "kids": []},
                      "kids": [{"name": "k", "next": None, "kids": []}]}}
    node = {"name": "a", "next": {"name": "b", "next": None}}
    for schema_text, flag_bit, datum in ((avro_schemas.ALL, 0, value), (avro_schemas.NODE, 8, node)):
        schema = avro_schema(schema_text)
        for index, encoding in enumerate(ENCODINGS[:5]):
            codecs = ("null", "deflate", "snappy", "zstandard") if encoding == "ocf" else ("",)
            for codec in codecs:
                options = {"codec": codec} if codec else {}
                ctx = context(encoding, robust=True, schema=schema, options=options, schema_id=1 + flag_bit // 8)
                data = avro_codec.encode([datum], ctx)
                for extra in (0, 16, 32) if not flag_bit else (0, 32):
                    write("avro", flag_bit | index | extra, data)
    write("avro", 0, b"\x02" * 200 + b"\x00")
    write("avro", 1, b"Obj\x01" + b"\x00" * 40)


def protobuf_seeds() -> None:
    everything = {"scalars": {"f_double": 1.5, "f_float": 0.5, "f_int32": -1, "f_int64": 2**40, "f_uint64": 2**64 - 1,
                              "f_sint32": -7, "f_bool": True, "f_string": "zoë", "f_bytes": b"\x00\x01",
                              "f_enum": "COLOR_RED"},
                  "r_int64": [1, -2], "r_string": ["a"], "m_string_int32": {"k": 3}, "m_int64_string": {"5": "v"},
                  "m_string_value": {"v": {"x": [1, "y", None, True]}}, "c_text": "t", "o_int32": 0,
                  "tree": {"name": "r", "children": [{"name": "c"}]}, "at": "2024-05-01T10:00:00Z",
                  "took": "1.5s", "meta": {"a": {"b": [1, 2]}}, "anything": 3, "items": [1, "two"],
                  "w_int64": "7", "w_string": "s", "w_bool": False, "w_bytes": "AAE=", "w_float": 1.25,
                  "payload": {"@type": "type.googleapis.com/convsvc.test.v1.Scalars", "fInt32": 1},
                  "mask": "a.b,c", "nothing": {}}
    schema = protobuf_schema("Everything")
    for index, encoding in enumerate(("binary", "json", "delimited")):
        data = protobuf_codec.encode([everything] * (2 if encoding == "delimited" else 1),
                                     context(encoding, robust=True, schema=schema))
        for extra in (0, 16, 64, 128):
            write("protobuf", index | extra, data)
    binary = protobuf_codec.encode([everything], context("binary", robust=True, schema=schema))
    write("protobuf", 3, b"\x00\x00\x00\x00\x01\x00" + binary)  # Confluent frame, id 1, message index [0]
    node = b""
    for _ in range(120):
        node = b"\x1a" + bytes([len(node)]) + node if len(node) < 128 else node
    write("protobuf", 4, node)


def xml_seeds() -> None:
    for path in files(ROOT / "corpus" / "xpath-json", "*.xml"):
        write("xml", 1, path.read_bytes())
    for path in files(ROOT / "corpus" / "xpath-json", "*.json"):
        value = json_codec.decode(path.read_bytes(), context("json", robust=True))
        try:
            write("xml", 0, xml_codec.encode(value, context("natural", robust=True)))
        except Exception:  # noqa: BLE001 - a seed that does not fit the natural mapping
            pass
    for text in (b'<?xml version="1.0" encoding="ISO-8859-1"?><r a="1"><b>x</b><b>y</b><c/></r>',
                 b'<r xmlns="urn:x" xmlns:p="urn:p"><p:a p:b="1">t<![CDATA[c]]></p:a><!-- c --><?pi x?></r>',
                 b'<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>', b"<a>" * 30 + b"</a>" * 30,
                 b"\xef\xbb\xbf<r>&amp;&#x41;&#66;</r>", "<r>ü</r>".encode("utf-16")):
        for flags in (0, 1, 2, 8):
            write("xml", flags, text)


def roundtrip_seeds() -> None:
    for size in (8, 32, 128, 512):
        for seed in range(6):
            write("roundtrip", seed % 3, hashlib.sha512(b"%d/%d" % (size, seed)).digest() * (size // 64 + 1))


def main() -> None:
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    json_seeds()
    yaml_seeds()
    avro_seeds()
    protobuf_seeds()
    xml_seeds()
    roundtrip_seeds()
    for folder in sorted(CORPUS.iterdir()):
        print(f"{folder.name}: {sum(1 for _ in folder.iterdir())} seeds")


if __name__ == "__main__":
    main()
