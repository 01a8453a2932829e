"""Fuzz the strict JSON decoder (json, jsonl; FRAGILE): refusal or canonical value, never a crash.

Accepted payloads are checked against Python's own json module (a second, independent parser: what
the strict decoder accepts must be valid JSON with the same value) and re-encoded and decoded again.
The first byte picks the encoding and the limits; the rest is the payload.
"""

import contextlib
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
FUZZING = __name__ == "__main__"
if FUZZING:
    import atheris
with atheris.instrument_imports(include=["convsvc"]) if FUZZING else contextlib.nullcontext():
    from convsvc.formats import json_codec
    from convsvc.model import Severity

from fuzz.common import FuzzFinding, assert_same, check_canonical, context, main, reencode_and_compare, refused_or


def test_one_input(data: bytes) -> None:
    flags, body = (data[0], data[1:]) if data else (0, b"")
    encoding = "jsonl" if flags & 1 else "json"
    tight = bool(flags & 2)
    ctx = context(encoding, tight=tight)
    documents = refused_or(lambda: json_codec.decode(body, ctx))
    if documents is None:
        return
    if ctx.report.at_least(Severity.WARNING):
        return  # a change (a repeated key): the engine refuses it in FRAGILE, listing every one
    for document in documents:
        check_canonical(document, ctx.limits.max_depth)
    if encoding == "json":
        try:
            reference = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise FuzzFinding(f"accepted what Python's json refuses: {error}") from None
        assert_same(documents[0], reference, "differs from Python's json")
    reencode_and_compare(json_codec, documents, lambda: context(encoding, tight=tight), f"json/{encoding}")


if __name__ == "__main__":
    main(test_one_input)
