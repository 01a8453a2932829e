"""The bombs of issue 12, each with what refusing it must look like, and a child-process probe that
measures one refusal honestly.

    python tests/hostile/bombs.py PORT [NAME...]  ->  one JSON line a bomb: the error, and per attempt
                                                     CPU seconds, wall seconds, extra peak memory (KiB)

Memory: the payload is built first, then the peak resident set (VmHWM) is reset through
/proc/self/clear_refs, so the peak after the conversion minus the resident set before it is what the
refusal itself took, native allocations (libxml2, rapidyaml, zlib, upb) included. Time: CPU time of the
process (time.process_time), not wall time, so a loaded machine does not fail the bound; each bomb is
refused 3 times and the test takes the best time and the worst memory.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import pathlib
import re
import sys
import time
import zlib
from typing import Callable

ROOT = pathlib.Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEEP = 100_000
MB = 1_000_000

NODE_AVRO = json.dumps({"type": "record", "name": "Node", "fields": [{"name": "next", "type": ["null", "Node"]}]})
NODE_PROTO = 'syntax = "proto3";\npackage bomb.v1;\nmessage Node {\n  Node next = 1;\n  string name = 2;\n}\n'


def varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte = number & 0x7F
        number >>= 7
        if number:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def long_bytes(number: int) -> bytes:
    return varint((number << 1) ^ (number >> 63))


def nested_protobuf(levels: int) -> bytes:
    """`levels` Node messages each inside the previous one's field 1, built in linear time."""
    sizes = [0] * (levels + 1)
    for level in range(levels - 1, -1, -1):
        inner = sizes[level + 1]
        sizes[level] = 1 + len(varint(inner)) + inner
    return b"".join(b"\x0a" + varint(sizes[level + 1]) for level in range(levels))


def billion_laughs_xml() -> bytes:
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]><lolz>&lol9;</lolz>'.encode()


def billion_laughs_yaml(route: str = "") -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    return (route + "\n".join(lines) + "\n").encode()


def ocf_bomb(codec: str, inflated: int) -> bytes:
    """An Object Container File whose one block holds one `bytes` record of `inflated` zero bytes."""
    head = long_bytes(inflated)
    if codec == "deflate":
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        parts = [packer.compress(head)]
        zeros = bytes(min(MB, inflated))
        left = inflated
        while left > 0:
            parts.append(packer.compress(zeros[:left]))
            left -= len(zeros)
        parts.append(packer.flush())
        body = b"".join(parts)
    elif codec == "zstandard":
        from backports import zstd

        body = zstd.compress(head + bytes(inflated))
    else:
        from cramjam import snappy

        raw = head + bytes(inflated)
        body = bytes(snappy.compress_raw(raw)) + zlib.crc32(raw).to_bytes(4, "big")
    sync = b"S" * 16
    header = b"Obj\x01" + long_bytes(2)
    for key, value in ((b"avro.schema", b'"bytes"'), (b"avro.codec", codec.encode())):
        header += long_bytes(len(key)) + key + long_bytes(len(value)) + value
    return header + b"\x00" + sync + long_bytes(1) + long_bytes(len(body)) + body + sync


@dataclasses.dataclass(frozen=True)
class Bomb:
    build: Callable[[], bytes]
    source: tuple  # (format, encoding, schema type, schema text, message type)
    expect: str  # "limit:NAME" (LimitExceeded naming it) or "code:CODE" (a refusal with that issue code)
    words: str = ""  # what the message must say
    mode: str = "fragile"
    tiny: bytes = b""  # a valid payload of the same kind: warms up imports and schema caches first


_json = ("json", "json", "", "", "")
BOMBS: dict[str, Bomb] = {
    # XML: DTDs are never processed, so entities cannot expand or reach files or the network
    "xml-billion-laughs-natural": Bomb(billion_laughs_xml, ("xml", "natural", "", "", ""), "code:XML_DTD_FORBIDDEN",
                                       "billion laughs", tiny=b"<a>1</a>"),
    "xml-billion-laughs-xpath": Bomb(billion_laughs_xml, ("xml", "xpath", "", "", ""), "code:XML_DTD_FORBIDDEN",
                                     "billion laughs", tiny=b'<number xmlns="http://www.w3.org/2005/xpath-functions">1</number>'),
    "xml-xxe-file": Bomb(lambda: b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>',
                         ("xml", "natural", "", "", ""), "code:XML_DTD_FORBIDDEN", "file:///etc/passwd",
                         tiny=b"<a>1</a>"),
    "xml-xxe-http": Bomb(lambda: b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "http://127.0.0.1:PORT/x">]><r>&xxe;</r>',
                         ("xml", "natural", "", "", ""), "code:XML_DTD_FORBIDDEN", "http://127.0.0.1:", tiny=b"<a>1</a>"),
    "xml-external-dtd-http": Bomb(lambda: b'<!DOCTYPE r SYSTEM "http://127.0.0.1:PORT/r.dtd"><r/>',
                                  ("xml", "natural", "", "", ""), "code:XML_DTD_FORBIDDEN", "external DTD",
                                  tiny=b"<a>1</a>"),
    # YAML aliases: expansions are counted, never performed
    "yaml-alias-bomb": Bomb(billion_laughs_yaml, ("yaml", "yaml", "", "", ""), "limit:max_alias_expansions",
                            tiny=b"a: 1\n"),
    "yaml-alias-bomb-libyaml-route": Bomb(lambda: billion_laughs_yaml("#\t\n"), ("yaml", "yaml", "", "", ""),
                                          "limit:max_alias_expansions", tiny=b"a:\t1\n"),
    # 100 000-deep nesting in every nested format
    "json-deep-arrays": Bomb(lambda: b"[" * DEEP + b"]" * DEEP, _json, "limit:max_depth", tiny=b"[1]"),
    "json-deep-objects": Bomb(lambda: b'{"a":' * DEEP + b"1" + b"}" * DEEP, _json, "limit:max_depth", tiny=b"[1]"),
    "json-deep-unclosed-robust": Bomb(lambda: b"[{'a': " * (DEEP // 2), _json, "limit:max_depth", mode="robust",
                                      tiny=b"[1,]"),
    "jsonl-deep": Bomb(lambda: b"[1]\n" + b"[" * DEEP + b"]" * DEEP + b"\n", ("json", "jsonl", "", "", ""),
                       "limit:max_depth", tiny=b"[1]\n"),
    "yaml-deep-flow": Bomb(lambda: b"[" * DEEP + b"]" * DEEP, ("yaml", "yaml", "", "", ""), "limit:max_depth",
                           tiny=b"a: 1\n"),
    "yaml-deep-block": Bomb(lambda: b"- " * DEEP + b"x\n", ("yaml", "yaml", "", "", ""), "limit:max_depth",
                            tiny=b"a: 1\n"),
    "xml-deep-natural": Bomb(lambda: b"<a>" * DEEP + b"</a>" * DEEP, ("xml", "natural", "", "", ""),
                             "limit:max_depth", tiny=b"<a>1</a>"),
    "xml-deep-xpath": Bomb(lambda: b'<array xmlns="http://www.w3.org/2005/xpath-functions">' + b"<array>" * DEEP
                           + b"</array>" * DEEP + b"</array>", ("xml", "xpath", "", "", ""), "limit:max_depth",
                           tiny=b'<number xmlns="http://www.w3.org/2005/xpath-functions">1</number>'),
    "avro-deep-binary": Bomb(lambda: b"\x02" * DEEP + b"\x00", ("avro", "binary", "avro", NODE_AVRO, ""),
                             "limit:max_depth", tiny=b"\x02\x00"),
    "avro-deep-json": Bomb(lambda: b'{"next": {"Node": ' * DEEP + b'{"next": null}' + b"}}" * DEEP,
                           ("avro", "json", "avro", NODE_AVRO, ""), "limit:max_depth", tiny=b'{"next": null}'),
    "protobuf-deep-binary": Bomb(lambda: nested_protobuf(DEEP), ("protobuf", "binary", "protobuf", NODE_PROTO,
                                                                 "bomb.v1.Node"), "limit:protobuf_recursion_limit",
                                tiny=b"\x0a\x00"),
    "protobuf-past-recursion-limit": Bomb(lambda: nested_protobuf(101), ("protobuf", "binary", "protobuf", NODE_PROTO,
                                                                         "bomb.v1.Node"),
                                          "limit:protobuf_recursion_limit", tiny=b"\x0a\x00"),
    "protobuf-deep-json": Bomb(lambda: b'{"next":' * DEEP + b"{}" + b"}" * DEEP,
                               ("protobuf", "json", "protobuf", NODE_PROTO, "bomb.v1.Node"), "limit:max_depth",
                               tiny=b'{"next":{}}'),
    # Avro lengths that no payload can hold
    "avro-string-length-2-62": Bomb(lambda: long_bytes(2**62) + b"abc", ("avro", "binary", "avro", '"string"', ""),
                                    "limit:max_string_bytes", "declared length 4611686018427387904",
                                    tiny=b"\x02a"),
    "avro-bytes-length-2-62": Bomb(lambda: long_bytes(2**62) + b"abc", ("avro", "binary", "avro", '"bytes"', ""),
                                   "limit:max_string_bytes", "declared length 4611686018427387904", tiny=b"\x02a"),
    "avro-array-length-2-62": Bomb(lambda: long_bytes(2**62) + b"abc",
                                   ("avro", "binary", "avro", '{"type": "array", "items": "long"}', ""),
                                   "code:SYNTAX_ERROR", "declares 4611686018427387904 items", tiny=b"\x02\x02\x00"),
    "avro-null-array-length-2-62": Bomb(lambda: long_bytes(2**62) + b"\x00",
                                        ("avro", "binary", "avro", '{"type": "array", "items": "null"}', ""),
                                        "limit:max_message_bytes", tiny=b"\x02\x00"),
    # compressed OCF blocks that inflate past the limit (64 MiB): 128 MiB of zeros
    "avro-ocf-deflate-bomb": Bomb(lambda: ocf_bomb("deflate", 128 * 1024 * 1024), ("avro", "ocf", "", "", ""),
                                  "limit:max_message_bytes", "inflates past the limit",
                                  tiny=ocf_bomb("deflate", 100)),
    "avro-ocf-zstandard-bomb": Bomb(lambda: ocf_bomb("zstandard", 128 * 1024 * 1024), ("avro", "ocf", "", "", ""),
                                    "limit:max_message_bytes", "inflates past the limit",
                                    tiny=ocf_bomb("zstandard", 100)),
    "avro-ocf-snappy-bomb": Bomb(lambda: ocf_bomb("snappy", 128 * 1024 * 1024), ("avro", "ocf", "", "", ""),
                                 "limit:max_message_bytes", "inflates past the limit",
                                 tiny=ocf_bomb("snappy", 100)),
    # one 10 MB token
    "json-10mb-number": Bomb(lambda: b"1" * (10 * MB), _json, "limit:max_number_chars", tiny=b"1"),
    "json-10mb-number-robust": Bomb(lambda: b"[" + b"1" * (10 * MB) + b",]", _json, "limit:max_number_chars",
                                    mode="robust", tiny=b"[1,]"),
    "json-10mb-string": Bomb(lambda: b'"' + b"x" * (10 * MB) + b'"', _json, "limit:max_string_bytes", tiny=b'"x"'),
    "json-10mb-string-robust": Bomb(lambda: b"['" + b"x" * (10 * MB) + b"']", _json, "limit:max_string_bytes",
                                    mode="robust", tiny=b"['x']"),
    "yaml-10mb-string": Bomb(lambda: b"a: " + b"x" * (10 * MB) + b"\n", ("yaml", "yaml", "", "", ""),
                             "limit:max_string_bytes", tiny=b"a: 1\n"),
    "xml-10mb-text": Bomb(lambda: b"<a>" + b"x" * (10 * MB) + b"</a>", ("xml", "natural", "", "", ""),
                          "limit:max_string_bytes", tiny=b"<a>1</a>"),
}


def spec(source: tuple):
    from convsvc.engine import FormatSpec, SchemaRef

    fmt, encoding, schema_type, schema_text, message = source
    schema = SchemaRef(inline_text=schema_text, inline_type=schema_type) if schema_text else None
    return FormatSpec(fmt, encoding, schema=schema, message_type=message)


def _status(field: str) -> int:
    return int(re.search(rf"{field}:\s+(\d+)", pathlib.Path("/proc/self/status").read_text()).group(1))


def probe(name: str, port: int = 9) -> dict:
    """Refuse bomb `name` 3 times in this process; what was refused and what each attempt cost."""
    from convsvc.engine import ConvertRequest, Engine, FormatSpec
    from convsvc.model import ConversionError, Mode

    bomb = BOMBS[name]
    engine = Engine()
    source, target = spec(bomb.source), FormatSpec("json")
    if bomb.tiny:
        engine.convert(ConvertRequest(source=source, target=target, payload=bomb.tiny, mode=Mode(bomb.mode)))
    payload = bomb.build().replace(b"PORT", str(port).encode())
    request = ConvertRequest(source=source, target=target, payload=payload, mode=Mode(bomb.mode))
    attempts, error = [], None
    for _ in range(3):
        gc.collect()
        pathlib.Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
        before = _status("VmRSS")
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            engine.convert(request)
        except ConversionError as refused:
            error = refused
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        attempts.append({"cpu": cpu, "wall": wall, "extra_kib": _status("VmHWM") - before})
        if error is None:
            break
    out = {"name": name, "payload_bytes": len(payload), "attempts": attempts, "error": None}
    if error is not None:
        out["error"] = {"class": type(error).__name__, "code": error.code.name, "limit": getattr(error, "limit", None),
                        "maximum": getattr(error, "maximum", None), "message": str(error)}
    return out


if __name__ == "__main__":
    # python bombs.py PORT [NAME...]: every bomb (or those named), one JSON line each, in one process
    # (each measured from its own baseline); PORT is a loopback port the XXE bombs point at
    for bomb_name in sys.argv[2:] or BOMBS:
        print(json.dumps(probe(bomb_name, int(sys.argv[1]))), flush=True)
