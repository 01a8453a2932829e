"""Writes corpus/vectors/: conversions every client must reproduce byte for byte, or refuse with the
same status and reason. Each vector is a ConvertRequest (ProtoJSON, payload left out), the payload
file, and the expected output file or error. Regenerate after an intended change: `make vectors`;
review the diff of corpus/vectors/ like code."""

from __future__ import annotations

import json
import pathlib
import sys

from google.protobuf import json_format

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from convsvc.engine import ConvertRequest, Engine  # noqa: E402
from convsvc.model import ConversionError  # noqa: E402
from convsvc.server.status import status_code_of  # noqa: E402
from convsvc.v1 import conversion_pb2 as pb  # noqa: E402
from convsvc.wire import format_spec_from_proto, mode_from_proto  # noqa: E402

OUT = ROOT / "corpus" / "vectors"
EXAMPLES = ROOT / "schemas" / "examples"
SCHEMAS = {
    "json": pb.SchemaRef(inline=pb.InlineSchema(type=pb.SCHEMA_TYPE_JSON, text=(EXAMPLES / "order.schema.json").read_text())),
    "avro": pb.SchemaRef(inline=pb.InlineSchema(type=pb.SCHEMA_TYPE_AVRO, text=(EXAMPLES / "order.avsc").read_text())),
    "protobuf": pb.SchemaRef(inline=pb.InlineSchema(type=pb.SCHEMA_TYPE_PROTOBUF, text=(EXAMPLES / "order.proto").read_text())),
}


def order_spec(name: str) -> pb.FormatSpec:
    """Each format as the order examples use it (see tests/test_format_matrix.py)."""
    spec = pb.FormatSpec(format=pb.Format.Value("FORMAT_" + name.upper()))
    if name in ("json", "yaml"):
        spec.schema.CopyFrom(SCHEMAS["json"])
    elif name == "avro":
        spec.schema.CopyFrom(SCHEMAS["avro"])
    elif name == "protobuf":
        spec.schema.CopyFrom(SCHEMAS["protobuf"])
        spec.message_type = "acme.v1.Order"
    elif name == "xml":
        spec.schema.CopyFrom(SCHEMAS["avro"])
        spec.options["root"] = "order"
    return spec


def plain(name: str, encoding: str = "", **options: str) -> pb.FormatSpec:
    return pb.FormatSpec(format=pb.Format.Value("FORMAT_" + name.upper()), encoding=encoding, options=options)


def cases(engine: Engine):
    """(id, request) for every vector; the payload is in the request."""
    from convsvc.formats import FORMATS

    built = [name for name in ("json", "yaml", "avro", "protobuf", "xml") if name in FORMATS]
    order = (EXAMPLES / "documents" / "full.json").read_bytes()
    payloads = {"json": order}
    for name in built:
        if name != "json":
            payloads[name] = convert(engine, pb.ConvertRequest(source=order_spec("json"), target=order_spec(name),
                                                               payload=order))
    for source in built:
        for target in built:
            if source != target:
                yield f"order-{source}-to-{target}", pb.ConvertRequest(
                    source=order_spec(source), target=order_spec(target), payload=payloads[source])
    robust = pb.MODE_ROBUST
    yield "json-duplicate-key-fragile", pb.ConvertRequest(source=plain("json"), target=plain("json"), payload=b'{"a": 1, "a": 2}')
    yield "json-duplicate-key-robust", pb.ConvertRequest(source=plain("json"), target=plain("json"), payload=b'{"a": 1, "a": 2}', mode=robust)
    yield "json-syntax-error", pb.ConvertRequest(source=plain("json"), target=plain("yaml"), payload=b'{"a": [1,, 2]}')
    yield "json-big-integer", pb.ConvertRequest(source=plain("json"), target=plain("yaml"), payload=b'{"n": 123456789012345678901234567890}')
    yield "json-depth-bomb", pb.ConvertRequest(source=plain("json"), target=plain("json"), payload=b"[" * 100_000)
    yield "json-lines-to-yaml-stream", pb.ConvertRequest(source=plain("json", "jsonl"), target=plain("yaml"), payload=b'{"a": 1}\n[true, null]\n')
    yield "json-pretty", pb.ConvertRequest(source=plain("json"), target=plain("json", indent="2"), payload='{"é": [1, {"b": null}]}'.encode())
    yield "yaml-core-schema", pb.ConvertRequest(source=plain("yaml"), target=plain("json"), payload=b"on: yes\noctal: 0o17\nnull_: ~\nf: 1e3\nd: 2001-12-14\n")
    yield "yaml-billion-laughs", pb.ConvertRequest(source=plain("yaml"), target=plain("json"), payload=billion_laughs())
    yield "yaml-python-tag", pb.ConvertRequest(source=plain("yaml"), target=plain("json"), payload=b"!!python/object:os.system x\n")
    yield "yaml-non-finite-to-json-robust", pb.ConvertRequest(source=plain("yaml"), target=plain("json"), payload=b"x: .nan\n", mode=robust)
    yield "xml-doctype-refused", pb.ConvertRequest(source=plain("xml"), target=plain("json"), payload=b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>')
    yield "xml-xpath-to-json", pb.ConvertRequest(source=plain("xml", "xpath"), target=plain("json"), payload=b'<map xmlns="http://www.w3.org/2005/xpath-functions"><number key="n">1</number><array key="a"><string>x</string><null/></array></map>')
    yield "json-to-xml-xpath", pb.ConvertRequest(source=plain("json"), target=plain("xml", "xpath"), payload=b'{"n": 1, "a": ["x", null, true]}')
    yield "schema-violation", pb.ConvertRequest(source=order_spec("json"), target=plain("json"), payload=b'{"id": "seven"}')
    yield "unknown-encoding", pb.ConvertRequest(source=plain("json"), target=plain("json", "csv"), payload=b"1")
    yield "avro-truncated", pb.ConvertRequest(source=order_spec("avro"), target=plain("json"), payload=payloads.get("avro", b"")[:5])


def billion_laughs() -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        previous = chr(ord("a") + level - 1)
        lines.append(f"{chr(ord('a') + level)}: &{chr(ord('a') + level)} [{','.join(['*' + previous] * 9)}]")
    return ("\n".join(lines) + "\n").encode()


def convert(engine: Engine, request: pb.ConvertRequest) -> bytes:
    return engine.convert(to_engine(request)).payload


def to_engine(request: pb.ConvertRequest) -> ConvertRequest:
    return ConvertRequest(source=format_spec_from_proto(request.source, "source"),
                          target=format_spec_from_proto(request.target, "target"),
                          payload=request.payload, mode=mode_from_proto(request.mode))


def main() -> None:
    engine = Engine()
    for stale in OUT.glob("*"):
        if stale.is_file():
            stale.unlink()
    manifest = []
    for vector_id, request in cases(engine):
        (OUT / f"{vector_id}.in").write_bytes(request.payload)
        entry = {"id": vector_id, "input": f"{vector_id}.in"}
        bare = pb.ConvertRequest()
        bare.CopyFrom(request)
        bare.ClearField("payload")
        entry["request"] = json_format.MessageToDict(bare)
        try:
            (OUT / f"{vector_id}.out").write_bytes(convert(engine, request))
            entry["output"] = f"{vector_id}.out"
        except ConversionError as error:
            entry["error"] = {"code": status_code_of(error).name, "reason": error.issues[0].code.name,
                              "field": error.issues[0].path}
        manifest.append(entry)
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(manifest)} vectors to {OUT}")


if __name__ == "__main__":
    main()
