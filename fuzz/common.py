"""What every fuzz harness shares: contexts, schemas, the crash rule, canonical-value checks.

A harness feeds hostile bytes to one decoder. The rule: a decoder either returns canonical documents
or raises a ConversionError (a refusal the caller can read). Anything else raised — RecursionError,
MemoryError, KeyError, a library's own exception — is a crash, and atheris stops on it. libFuzzer's
-timeout and -rss_limit_mb turn hangs and runaway memory into crashes too (fuzz/run.py sets them).
Accepted documents must also be canonical values within the configured depth, and must survive being
encoded again in the same format and decoded back unchanged (or be refused by the encoder).
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
import pathlib
import uuid
from typing import Any, Callable

from convsvc.model import ConversionError, Context, Limits, Mode, Report

ROOT = pathlib.Path(__file__).resolve().parents[1]
PROTOS = ROOT / "tests" / "protos"

# Two sets of limits: the defaults, and tight ones that make the fuzzer reach every limit's refusal path.
DEFAULT_LIMITS = Limits()
TIGHT_LIMITS = Limits(max_message_bytes=4096, max_depth=8, max_string_bytes=64, max_number_chars=24,
                      max_documents=16, max_alias_expansions=64, max_changes=32)

CANONICAL_SCALARS = (type(None), bool, int, float, decimal.Decimal, str, bytes, dt.datetime, dt.date, dt.time,
                     uuid.UUID)


class FuzzFinding(AssertionError):
    """A property of the decoder that does not hold for this input (a bug, not a refusal)."""


def context(encoding: str, *, robust: bool = False, tight: bool = False, schema=None, **extra) -> Context:
    """A codec context as the engine makes it (its report bounded by max_changes)."""
    limits = TIGHT_LIMITS if tight else DEFAULT_LIMITS
    return Context(mode=Mode.ROBUST if robust else Mode.FRAGILE, limits=limits, encoding=encoding, schema=schema,
                   report=Report(max_changes=limits.max_changes, cap_is_limit=robust), **extra)


def refused_or(decode: Callable[[], Any]) -> Any | None:
    """The decoder's result, or None when it refused (a ConversionError); anything else propagates."""
    try:
        return decode()
    except ConversionError:
        return None


def check_canonical(value: Any, max_depth: int, path: str = "") -> None:
    """Plain canonical data (docs/architecture.md), nested no deeper than the depth limit, no cycles."""
    stack = [(value, 0, path)]
    while stack:
        item, depth, where = stack.pop()
        if isinstance(item, dict):
            if depth + 1 > max_depth:
                raise FuzzFinding(f"accepted a document nested deeper than max_depth={max_depth} at {where!r}")
            for key, child in item.items():
                if not isinstance(key, str):
                    raise FuzzFinding(f"non-string key {key!r} at {where!r}")
                stack.append((child, depth + 1, f"{where}/{key}"))
        elif isinstance(item, list):
            if depth + 1 > max_depth:
                raise FuzzFinding(f"accepted a document nested deeper than max_depth={max_depth} at {where!r}")
            stack.extend((child, depth + 1, f"{where}/{index}") for index, child in enumerate(item))
        elif not isinstance(item, CANONICAL_SCALARS):
            raise FuzzFinding(f"non-canonical value of type {type(item).__name__} at {where!r}")
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise FuzzFinding(f"a string with a lone surrogate at {where!r}: {item!r}") from None


def same(a: Any, b: Any, ordered: bool = True) -> bool:
    """Equal as canonical values: same kinds (1 is not 1.0 nor True), -0.0 is not 0.0, NaN equals NaN,
    object members in the same order (unless not `ordered`)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if isinstance(x, dict) and isinstance(y, dict):
            if (list(x) if ordered else set(x)) != (list(y) if ordered else set(y)):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y))
        elif isinstance(x, float) and isinstance(y, float):
            if not (x == y and math.copysign(1, x) == math.copysign(1, y) or math.isnan(x) and math.isnan(y)):
                return False
        elif type(x) is not type(y) or x != y:
            return False
    return True


def first_difference(a: Any, b: Any, path: str = "", ordered: bool = True) -> str:
    """Where two values differ, for a readable finding."""
    if isinstance(a, dict) and isinstance(b, dict):
        if (list(a) if ordered else set(a)) != (list(b) if ordered else set(b)):
            return f"{path or '/'}: keys {list(a)!r} != {list(b)!r}"
        for key in a:
            found = first_difference(a[key], b[key], f"{path}/{key}", ordered)
            if found:
                return found
        return ""
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path or '/'}: {len(a)} items != {len(b)}"
        for index, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}/{index}", ordered)
            if found:
                return found
        return ""
    return "" if same(a, b, ordered) else f"{path or '/'}: {a!r} ({type(a).__name__}) != {b!r} ({type(b).__name__})"


def assert_same(a: Any, b: Any, what: str, ordered: bool = True) -> None:
    if not same(a, b, ordered):
        raise FuzzFinding(f"{what}: {first_difference(a, b, ordered=ordered)}")


def reencode_and_compare(codec, documents: list[Any], make_ctx: Callable[[], Context], what: str,
                         ordered: bool = True) -> None:
    """Documents a decoder accepted, encoded again by the same codec (unless it refuses them) and
    decoded back, must come back unchanged: the decoder's output is the codec's own canonical form.
    Read back under the default limits: a limit bounds the input as written (an escape-free string
    the decoder accepted may take more bytes once the encoder escapes it)."""
    try:
        data = codec.encode(documents, make_ctx())
    except ConversionError:
        return
    ctx = make_ctx()
    ctx.limits = DEFAULT_LIMITS
    again = codec.decode(data, ctx)  # our own output: a refusal here is a finding, so no catch
    assert_same(documents, again, f"{what}: decode(encode(decoded)) differs", ordered)


@functools.cache
def avro_schema(text: str):
    from convsvc.schemas import SchemaSource, compile_schema

    return compile_schema(SchemaSource("avro", text))


@functools.cache
def protobuf_schema(message: str = "Everything"):
    from convsvc.schemas import SchemaSource, compile_schema

    return compile_schema(SchemaSource("protobuf", (PROTOS / "everything.proto").read_text(),
                                       message_type=f"convsvc.test.v1.{message}"))


def main(test_one_input: Callable[[bytes], None]) -> None:
    import sys

    import atheris

    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
