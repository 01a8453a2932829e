"""Fuzz the tolerant JSON repairer (json, jsonl; ROBUST): refusal or canonical value, never a crash.

Properties beyond "no crash": the repaired value is canonical and within the limits; what strict
parsing accepts comes back unchanged with nothing reported; the repaired value, written as JSON, is
accepted by the strict decoder and reads back the same. The first byte picks encoding and limits.
"""

import contextlib
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
FUZZING = __name__ == "__main__"
if FUZZING:
    import atheris
with atheris.instrument_imports(include=["convsvc"]) if FUZZING else contextlib.nullcontext():
    from convsvc.formats import json_codec
    from convsvc.model import ConversionError, Severity

from fuzz.common import FuzzFinding, assert_same, check_canonical, context, main, reencode_and_compare, refused_or


def test_one_input(data: bytes) -> None:
    flags, body = (data[0], data[1:]) if data else (0, b"")
    encoding = "jsonl" if flags & 1 else "json"
    tight = bool(flags & 2)
    ctx = context(encoding, robust=True, tight=tight)
    documents = refused_or(lambda: json_codec.decode(body, ctx))
    if documents is None:
        return
    for document in documents:
        check_canonical(document, ctx.limits.max_depth)
    if ctx.report.changes > ctx.limits.max_changes:
        raise FuzzFinding(f"{ctx.report.changes} changes accepted, over max_changes={ctx.limits.max_changes}")
    strict_ctx = context(encoding, tight=tight)
    try:
        strict = json_codec.decode(body, strict_ctx)
    except ConversionError:
        strict = None
    if strict is not None and not strict_ctx.report.at_least(Severity.WARNING):
        assert_same(documents, strict, "ROBUST changed what strict parsing accepts")
        if ctx.report.at_least(Severity.WARNING):
            raise FuzzFinding(f"ROBUST reported a change to valid JSON: {ctx.report.issues[0].describe()}")
    # The repaired value is plain JSON: FRAGILE writes it and reads it back unchanged.
    reencode_and_compare(json_codec, documents, lambda: context(encoding, tight=tight), f"repaired {encoding}")


if __name__ == "__main__":
    main(test_one_input)
