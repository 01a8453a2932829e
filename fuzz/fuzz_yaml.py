"""Fuzz the YAML decoder (both routes: rapidyaml and libyaml; FRAGILE and ROBUST).

Accepted streams must be canonical documents within the limits (aliases counted), and read back
unchanged after the YAML encoder writes them. The first byte picks mode and limits.
"""

import contextlib
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
FUZZING = __name__ == "__main__"
if FUZZING:
    import atheris
with atheris.instrument_imports(include=["convsvc"]) if FUZZING else contextlib.nullcontext():
    from convsvc.formats import yaml_codec

from fuzz.common import check_canonical, context, main, reencode_and_compare, refused_or


def test_one_input(data: bytes) -> None:
    flags, body = (data[0], data[1:]) if data else (0, b"")
    robust, tight = bool(flags & 1), bool(flags & 2)
    ctx = context("yaml", robust=robust, tight=tight)
    documents = refused_or(lambda: yaml_codec.decode(body, ctx))
    if documents is None:
        return
    for document in documents:
        check_canonical(document, ctx.limits.max_depth)
    reencode_and_compare(yaml_codec, documents, lambda: context("yaml", robust=robust, tight=tight), "yaml")


if __name__ == "__main__":
    main(test_one_input)
