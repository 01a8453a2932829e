"""Fuzz the XML decoder in both mappings (natural, and the W3C XPath 3.1 json-to-xml mapping), FRAGILE
and ROBUST: hardened parsing (no DTD, no entities, no network) must refuse or return canonical values.

Accepted documents must read back unchanged after the codec writes them again in the same mapping.
The first byte picks mapping, mode, the root option and the limits.
"""

import contextlib
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
FUZZING = __name__ == "__main__"
if FUZZING:
    import atheris
with atheris.instrument_imports(include=["convsvc"]) if FUZZING else contextlib.nullcontext():
    from convsvc.formats import xml_codec

from fuzz.common import check_canonical, context, main, reencode_and_compare, refused_or


def test_one_input(data: bytes) -> None:
    flags, body = (data[0], data[1:]) if data else (0, b"")
    encoding = "xpath" if flags & 1 else "natural"
    robust, tight = bool(flags & 2), bool(flags & 4)
    options = {"root": "r"} if encoding == "natural" and flags & 8 else {}

    def make_ctx():
        return context(encoding, robust=robust, tight=tight, options=options)

    ctx = make_ctx()
    documents = refused_or(lambda: xml_codec.decode(body, ctx))
    if documents is None:
        return
    for document in documents:
        check_canonical(document, ctx.limits.max_depth)
    reencode_and_compare(xml_codec, documents, make_ctx, f"xml/{encoding}")


if __name__ == "__main__":
    main(test_one_input)
