"""Fuzz the Protobuf decoder: binary, ProtoJSON, length-delimited streams and Confluent framing, on the
message types of tests/protos/everything.proto (every scalar, map, oneof, well-known type, recursion).

Accepted messages must be canonical values within the limits and read back unchanged after the codec
writes them again in the same encoding. The first byte picks encoding, message, options and limits.
"""

import contextlib
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
FUZZING = __name__ == "__main__"
if FUZZING:
    import atheris
with atheris.instrument_imports(include=["convsvc"]) if FUZZING else contextlib.nullcontext():
    from convsvc.formats import protobuf_codec
    from convsvc.model import Code, Issue, NotFound

from fuzz.common import check_canonical, context, main, protobuf_schema, reencode_and_compare, refused_or

ENCODINGS = ("binary", "json", "delimited", "confluent")
MESSAGES = ("Everything", "Node", "Scalars", "Everything")


def schema_by_id(schema_id: int):
    if schema_id == 1:
        return protobuf_schema("Everything")
    raise NotFound(Issue(Code.SCHEMA_NOT_FOUND, "payload", f"schema {schema_id} not found"))


def test_one_input(data: bytes) -> None:
    flags, body = (data[0], data[1:]) if data else (0, b"")
    encoding = ENCODINGS[flags & 3]
    schema = protobuf_schema(MESSAGES[(flags >> 2) & 3])
    tight, robust = bool(flags & 16), bool(flags & 32)
    options = {"emit_defaults": "true"} if flags & 64 else {}
    target = "json" if flags & 128 else ""  # unknown fields: kept (protobuf target) or dropped and reported

    def make_ctx():
        return context(encoding, robust=robust, tight=tight, schema=schema, options=options,
                       schema_by_id=schema_by_id, target_format=target)

    ctx = make_ctx()
    documents = refused_or(lambda: protobuf_codec.decode(body, ctx))
    if documents is None:
        return
    for document in documents:
        check_canonical(document, ctx.limits.max_depth)
    if encoding == "confluent":
        return  # writing Confluent framing needs a registry id: not a decoder property
    reencode_and_compare(protobuf_codec, documents, make_ctx, f"protobuf/{encoding}")


if __name__ == "__main__":
    main(test_one_input)
