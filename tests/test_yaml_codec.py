"""The YAML codec: YAML 1.2 core schema, tag policy, limits, keys, stream splitting and encoding."""

from __future__ import annotations

import math
import random
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convsvc.formats import yaml_codec
from convsvc.model import Code, Context, Limits, Mode
from convsvc.model.errors import ConversionError, InvalidInput, LimitExceeded


def fragile(**limits) -> Context:
    return Context(mode=Mode.FRAGILE, limits=Limits(**limits))


def robust(**limits) -> Context:
    return Context(mode=Mode.ROBUST, limits=Limits(**limits))


def decode(text: str | bytes, ctx: Context | None = None) -> list:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return yaml_codec.decode(data, ctx or fragile())


def one(text: str, ctx: Context | None = None):
    documents = decode(text, ctx)
    assert len(documents) == 1
    return documents[0]


def refusal(text: str | bytes, ctx: Context | None = None) -> ConversionError:
    with pytest.raises(ConversionError) as caught:
        decode(text, ctx)
    return caught.value


# the same input through both parser routes: a tab in a comment sends it down the libyaml route
ROUTES = [pytest.param("", id="rapidyaml"), pytest.param("#\t\n", id="libyaml")]


# -- YAML 1.2 core schema --------------------------------------------------------------------------

CORE_SCALARS = [
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"), ("Yes", "Yes"),
    ("0o17", 15), ("0x1F", 31), ("0x1f", 31), ("017", 17), ("-017", -17), ("+12", 12), ("0", 0),
    ("1_000", "1_000"), ("1:20", "1:20"), ("190:20:30", "190:20:30"), ("0b101", "0b101"),
    ("2001-12-14", "2001-12-14"), ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
    ("~", None), ("null", None), ("Null", None), ("NULL", None), ("nULL", "nULL"),
    ("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False), ("FALSE", False),
    ("tRUE", "tRUE"),
    ("1.5", 1.5), ("-1.5e3", -1500.0), ("1e3", 1000.0), (".5", 0.5), ("1.", 1.0), ("+.5", 0.5),
    (".inf", math.inf), (".Inf", math.inf), ("+.INF", math.inf), ("-.inf", -math.inf),
    ("123456789012345678901234567890", 123456789012345678901234567890),
    ("-98765432109876543210", -98765432109876543210),
    ("0o", "0o"), ("0x", "0x"), ("0o18", "0o18"), ("+0x1F", "+0x1F"), ("1.2.3", "1.2.3"), ("-a", "-a"),
    ("=", "="), ("<<", "<<"), ("inf", "inf"), ("nan", "nan"),
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("text", "expected"), CORE_SCALARS)
def test_plain_scalars_resolve_by_the_yaml_1_2_core_schema(route, text, expected):
    value = one(f"{route}k: {text}\n")["k"]
    assert type(value) is type(expected) and value == expected


@pytest.mark.parametrize("route", ROUTES)
def test_nan_and_empty_values(route):
    value = one(f"{route}a: .nan\nb: .NaN\nc:\nd: ''\ne: \"\"\n")
    assert math.isnan(value["a"]) and math.isnan(value["b"])
    assert value["c"] is None and value["d"] == "" and value["e"] == ""


@pytest.mark.parametrize("route", ROUTES)
def test_quoted_and_block_scalars_are_always_strings(route):
    value = one(f"{route}- '1'\n- \"true\"\n- 'null'\n- \"~\"\n- |\n  12\n- >-\n  yes\n")
    assert value == ["1", "true", "null", "~", "12\n", "yes"]


@pytest.mark.parametrize("route", ROUTES)
def test_core_tags_convert_explicitly(route):
    value = one(f"{route}- !!str 12\n- !!int \"12\"\n- !!float 1\n- !!bool 'true'\n- !!null ''\n"
                "- !!binary aGVsbG8=\n- ! 12\n- !<tag:yaml.org,2002:str> 7\n- !!seq [1]\n- !!map {a: 1}\n")
    assert value == ["12", 12, 1.0, True, None, b"hello", "12", "7", [1], {"a": 1}]
    assert type(value[2]) is float


def test_tag_directives_resolve_to_core_tags():
    assert decode("%TAG !yaml! tag:yaml.org,2002:\n--- !yaml!str 12\n") == ["12"]


def test_a_tag_handle_without_its_directive_is_a_syntax_error():
    error = refusal("%TAG !p! tag:yaml.org,2002:\n--- !p!str a\n--- !p!str b\n")
    assert error.code is Code.SYNTAX_ERROR


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!custom", "!!set", "!!timestamp", "!!omap",
                                 "!<tag:example.com,2000:x>"])
def test_tags_outside_the_core_schema_are_refused_with_path_and_position(route, tag):
    text = f"{route}a:\n  b: [1, {tag} x]\n"
    error = refusal(text, robust())
    issue = error.issues[0]
    assert error.code is Code.UNSUPPORTED_TAG
    assert issue.path == "/a/b/1"
    assert (issue.line, issue.column) == (2 + route.count("\n"), 10)


@pytest.mark.parametrize("route", ROUTES)
def test_a_core_tag_on_the_wrong_node_kind_is_refused(route):
    assert refusal(f"{route}a: !!int x\n").code is Code.SYNTAX_ERROR
    assert refusal(f"{route}a: !!str [1]\n").code is Code.SYNTAX_ERROR
    assert refusal(f"{route}a: !!binary '!!'\n").code is Code.SYNTAX_ERROR


# -- anchors, aliases and limits ------------------------------------------------------------------

@pytest.mark.parametrize("route", ROUTES)
def test_aliases_share_their_anchor_value(route):
    value = one(f"{route}base: &b {{x: 1, y: [2, 3]}}\ncopy: *b\nkey: &k seven\n*k : again\n")
    assert value == {"base": {"x": 1, "y": [2, 3]}, "copy": {"x": 1, "y": [2, 3]}, "key": "seven", "seven": "again"}


def test_anchors_may_be_redefined():
    assert one("- &a 1\n- *a\n- &a 2\n- *a\n") == [1, 1, 2, 2]


BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
) + "\n"


@pytest.mark.parametrize("route", ROUTES)
def test_billion_laughs_is_refused_quickly(route):
    started = time.perf_counter()
    with pytest.raises(LimitExceeded) as caught:
        decode(route + BILLION_LAUGHS, robust())
    elapsed = time.perf_counter() - started
    assert caught.value.limit == "max_alias_expansions"
    assert caught.value.code is Code.LIMIT_EXCEEDED
    assert elapsed < 1.0  # measured well under 100 ms; see docs/yaml-library.md


@pytest.mark.parametrize("route", ROUTES)
def test_alias_expansions_are_counted_with_repetition(route):
    text = f"{route}a: &a [1, 2, 3]\nb: [*a, *a, *a]\n"  # each alias expands to 4 nodes
    assert one(text, fragile(max_alias_expansions=12))["b"] == [[1, 2, 3]] * 3
    with pytest.raises(LimitExceeded):
        decode(text, fragile(max_alias_expansions=11))


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("text", ["&a [*a]", "a: &a {b: *a}", "&a [1, [2, *a]]"])
def test_recursive_aliases_are_refused(route, text):
    with pytest.raises(LimitExceeded) as caught:
        decode(route + text)
    assert caught.value.limit == "max_alias_expansions"


def test_an_alias_without_anchor_is_a_syntax_error():
    assert refusal("a: *nowhere\n").code in (Code.SYNTAX_ERROR,)


DEEP = [
    pytest.param("[" * 100_000 + "]" * 100_000, id="flow-sequences-100k"),
    pytest.param("{a: " * 50_000 + "1" + "}" * 50_000, id="flow-mappings-50k"),
    pytest.param("- " * 100_000 + "x\n", id="compact-block-sequences-100k"),
    pytest.param("".join(" " * i + "k:\n" for i in range(2000)) + " " * 2000 + "v\n", id="block-mappings-2000"),
    pytest.param("#\t\n" + "[" * 100_000 + "]" * 100_000, id="libyaml-flow-100k"),
    pytest.param("#\t\n" + "".join(" " * i + "k:\n" for i in range(2000)), id="libyaml-block-mappings-2000"),
]


@pytest.mark.parametrize("text", DEEP)
def test_deep_nesting_is_refused_without_recursion_error(text):
    with pytest.raises(LimitExceeded) as caught:
        decode(text)
    assert caught.value.limit == "max_depth"


def test_a_large_payload_dense_with_nodes_is_read_as_events_not_as_a_tree():
    # rapidyaml would build a ~300-byte node per `[` (3 GB here) before any limit is checked
    started = time.perf_counter()
    with pytest.raises(LimitExceeded) as caught:
        decode(b"[" * 10_000_000)
    assert caught.value.limit == "max_depth"
    assert time.perf_counter() - started < 2.0
    assert yaml_codec._tree_bytes_estimate(b"[" * 10_000_000) > yaml_codec._TREE_BUDGET
    assert yaml_codec._tree_bytes_estimate(b"a: 1\n" * 1000) == 0


@pytest.mark.parametrize("route", ROUTES)
def test_nesting_up_to_max_depth_is_accepted(route):
    depth = Limits().max_depth
    assert decode(route + "[" * depth + "]" * depth)
    assert decode(route + "{a: " * 10 + "1" + "}" * 10, fragile(max_depth=10))
    with pytest.raises(LimitExceeded):
        decode(route + "[" * (depth + 1) + "]" * (depth + 1))
    with pytest.raises(LimitExceeded):
        decode(route + "{a: " * 11 + "1" + "}" * 11, fragile(max_depth=10))


@pytest.mark.parametrize("route", ROUTES)
def test_aliases_count_towards_depth(route):
    text = route + "a: &a " + "[" * 150 + "]" * 150 + "\nb: " + "[" * 100 + "*a" + "]" * 100 + "\n"
    with pytest.raises(LimitExceeded) as caught:
        decode(text)
    assert caught.value.limit == "max_depth"


@pytest.mark.parametrize("route", ROUTES)
def test_string_document_and_number_limits(route):
    with pytest.raises(LimitExceeded) as caught:
        decode(route + "a: " + "x" * 200 + "\n", fragile(max_string_bytes=100))
    assert caught.value.limit == "max_string_bytes"
    with pytest.raises(LimitExceeded) as caught:
        decode(route + "é" * 30 + ": 1\n", fragile(max_string_bytes=40))  # 60 bytes as UTF-8
    assert caught.value.limit == "max_string_bytes"
    with pytest.raises(LimitExceeded) as caught:
        decode(route + "--- 1\n--- 2\n--- 3\n", fragile(max_documents=2))
    assert caught.value.limit == "max_documents"
    with pytest.raises(LimitExceeded) as caught:
        decode(route + "a: " + "9" * 1001 + "\n")
    assert caught.value.limit == "max_number_chars"
    assert decode(route + "a: '" + "9" * 1001 + "'\n")[0]["a"] == "9" * 1001


def test_message_size_is_checked_first():
    with pytest.raises(LimitExceeded) as caught:
        decode(b"\xff" * 100, fragile(max_message_bytes=10))
    assert caught.value.limit == "max_message_bytes"


@pytest.mark.parametrize("route", ROUTES)
def test_a_number_out_of_double_range_is_refused(route):
    assert refusal(route + "a: 1e400\n").code is Code.NUMBER_OUT_OF_RANGE


# -- keys -------------------------------------------------------------------------------------------

NON_STRING_KEYS = "1: int\ntrue: bool\n~: nul\n1.5: float\n0x10: hex\n[1, two]: seq\n{a: 1}: map\n"


@pytest.mark.parametrize("route", ROUTES)
def test_non_string_keys_are_refused_in_fragile_mode(route):
    error = refusal(route + "outer:\n  1: int\n")
    assert error.code is Code.NON_STRING_KEY
    assert error.issues[0].path == "/outer"
    assert refusal(route + "[1, 2]: seq\n").code is Code.NON_STRING_KEY


@pytest.mark.parametrize("route", ROUTES)
def test_non_string_keys_become_their_yaml_text_in_robust_mode(route):
    ctx = robust()
    value = one(route + NON_STRING_KEYS, ctx)
    assert value == {"1": "int", "true": "bool", "null": "nul", "1.5": "float", "16": "hex",
                     "[1, two]": "seq", "{a: 1}": "map"}
    notes = [issue for issue in ctx.report if issue.code is Code.NON_STRING_KEY]
    assert len(notes) == 7 and all(issue.path == "" for issue in notes)


def test_key_text_rule():
    assert [yaml_codec.key_text(key) for key in (1, -2, 2.5, 1e20, math.inf, None, True, False, b"hi")] == [
        "1", "-2", "2.5", "1.0e+20", ".inf", "null", "true", "false", "aGk="]
    assert yaml_codec.key_text([1, "a b", "yes", {"k": None}]) == '[1, a b, "yes", {k: null}]'


@pytest.mark.parametrize("route", ROUTES)
def test_duplicate_keys_are_refused_in_fragile_mode_every_one_listed(route):
    from convsvc.engine import ConvertRequest, Engine, FormatSpec

    with pytest.raises(ConversionError) as caught:
        Engine().convert(ConvertRequest(FormatSpec("yaml"), FormatSpec("json"),
                                        (route + "m:\n  a: 1\n  b: 2\n  a: 3\nn: {c: 0, c: 1}\n").encode()))
    lines = route.count("\n")
    assert [(i.code, i.path, i.line) for i in caught.value.issues] == [
        (Code.DUPLICATE_KEY, "/m/a", 4 + lines), (Code.DUPLICATE_KEY, "/n/c", 5 + lines)]
    assert caught.value.issues[0].message == "duplicate key 'a': the last value is kept"


@pytest.mark.parametrize("route", ROUTES)
def test_duplicate_keys_keep_the_last_value_in_robust_mode(route):
    ctx = robust()
    assert one(route + "a: 1\nb: 2\na: 3\n1: x\n'1': y\n", ctx) == {"a": 3, "b": 2, "1": "y"}
    assert [issue.code for issue in ctx.report] == [Code.DUPLICATE_KEY, Code.NON_STRING_KEY, Code.DUPLICATE_KEY]


def test_keys_starting_with_a_dot_or_dash_after_an_indentless_sequence():
    # as PyYAML writes it; rapidyaml alone refuses this valid stream
    assert one("a:\n- 1\n.b: 2\n-c: 3\n") == {"a": [1], ".b": 2, "-c": 3}
    out = yaml_codec.encode([{"a": [1], ".b": 2, "-c": 3}], fragile())
    assert b"'.b'" in out and b"'-c'" in out


def test_merge_keys_are_plain_keys_in_yaml_1_2():
    assert one("base: &b {a: 1}\nderived:\n  <<: *b\n") == {"base": {"a": 1}, "derived": {"<<": {"a": 1}}}


# -- errors and positions ---------------------------------------------------------------------------

@pytest.mark.parametrize("route", ROUTES)
def test_syntax_errors_carry_line_and_column(route):
    error = refusal(route + "ok: é\nlist: [1, 2\n")
    issue = error.issues[0]
    assert error.code is Code.SYNTAX_ERROR
    assert issue.line is not None and issue.line >= 2 + route.count("\n")
    assert issue.offset is not None and 0 < issue.offset <= len((route + "ok: é\nlist: [1, 2\n").encode())


@pytest.mark.parametrize("route", ROUTES)
def test_positions_count_characters_after_multibyte_text(route):
    text = route + "é日: 1\nb: [x, ü, !foo x]\n"
    issue = refusal(text).issues[0]
    line = 2 + route.count("\n")
    assert (issue.line, issue.column) == (line, 11)
    assert issue.offset == len((route + "é日: 1\nb: [x, ü, ").encode("utf-8"))


def test_a_cancelled_conversion_stops_between_documents():
    from convsvc.model import Cancelled, CancelToken

    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        yaml_codec.decode(b"--- 1\n--- 2\n", Context(cancel=token))


def test_syntax_error_offsets_are_bytes_after_multibyte_text():
    data = "ééé: [1, 2\nnext: }\n".encode()
    error = refusal(data)
    issue = error.issues[0]
    assert issue.offset <= len(data)
    assert data[:issue.offset].decode("utf-8")  # a character boundary


def test_invalid_utf8_is_refused_with_its_offset():
    error = refusal(b"a: ok\nb: \xc3\x28\n")
    assert error.code is Code.INVALID_UTF8
    assert error.issues[0].offset == 9 and error.issues[0].line == 2


@pytest.mark.parametrize("route", ROUTES)
def test_a_utf8_bom_is_allowed(route):
    assert decode("\ufeff" + route + "a: 1\n") == [{"a": 1}]


def test_empty_streams_and_empty_documents():
    assert decode("") == []
    assert decode("# only a comment\n") == []
    assert decode("---\n") == [None]
    assert decode("--- a\n...\n--- b\n") == ["a", "b"]
    assert decode("--- a\n---\n") == ["a", None]


# -- record stream --------------------------------------------------------------------------------

STREAMS = [
    "",
    "a: 1\n",
    "a: 1",
    "--- 1\n--- 2\n--- 3",
    "# head\n%YAML 1.2\n---\na: 1\n...\n%YAML 1.2\n--- |\n  text\n---\n- x\n",
    "bare: doc\n...\n# between\n...\nnext: doc\n",
    "--- |\n  a\n  b\n--- 'quoted\n  over lines'\n--- >\n folded\n",
    "--- &a [1, 2]\n--- &a {x: *a}\n".replace("*a}", "1}"),
    "%TAG !e! tag:yaml.org,2002:\n--- !e!str 1\n--- 2\n",
    "---\r\na: 1\r\n---\r\nb: 2\r\n",
    "\ufeff--- x\n--- y\n",
    "a: ---x\nb: ...y\n--- z\n",
    "----\n",
    "--- a\n...\n",
    "---\n---\n",
]


def split(text: str, sizes) -> list[bytes]:
    data = text.encode("utf-8")
    splitter = yaml_codec.record_splitter(fragile())
    records, pos = [], 0
    while pos < len(data):
        size = next(sizes)
        records += splitter.feed(data[pos:pos + size])
        pos += size
    return records + splitter.finish()


@pytest.mark.parametrize("text", STREAMS)
def test_record_splitter_gives_the_documents_of_decode(text):
    expected = decode(text)
    whole = split(text, iter([10**9]))
    one_byte = split(text, iter(lambda: 1, None))
    rng = random.Random(len(text))
    random_sizes = split(text, iter(lambda: rng.randint(1, 7), None))
    for records in (whole, one_byte, random_sizes):
        assert records == whole
        documents = [doc for record in records for doc in decode(record)]
        assert documents == expected
        assert all(len(decode(record)) == 1 for record in records)


def test_record_splitter_bounds_a_record_by_max_message_bytes():
    splitter = yaml_codec.record_splitter(fragile(max_message_bytes=100))
    assert splitter.feed(b"--- " + b"x" * 50 + b"\n") == []
    assert splitter.feed(b"--- y\n") == [b"--- " + b"x" * 50 + b"\n"]
    with pytest.raises(LimitExceeded):
        for _ in range(20):
            splitter.feed(b"- " + b"z" * 10 + b"\n")


def test_record_splitter_with_encode_record_round_trips():
    ctx = fragile()
    values = [{"a": 1}, "text\n", None, [1, "yes"], "plain", 3.5, {"k": "v\n\n"}]
    stream = b"".join(yaml_codec.encode_record(value, ctx) for value in values)
    assert decode(stream) == values
    splitter = yaml_codec.record_splitter(ctx)
    records = [record for byte in range(len(stream)) for record in splitter.feed(stream[byte:byte + 1])]
    records += splitter.finish()
    assert [decode(record)[0] for record in records] == values


# -- encode -----------------------------------------------------------------------------------------

RISKY_STRINGS = [
    "yes", "no", "on", "off", "y", "n", "Y", "N", "Yes", "NO", "On", "OFF", "true", "False", "null", "Null", "~",
    "", "0o17", "017", "0x1F", "0b101", "1_000", "1:20", "190:20:30", "2001-12-14", "2001-12-14 21:59:43.10 -5",
    ".inf", "-.inf", "+.INF", ".nan", "1e3", "1.5", ".5", "1.", "+1", "-0", "12", "1.2.3", "=", "<<", "- a",
    "a: b", "#x", "x #y", "@a", "`a", "!a", "&a", "*a", "%a", "[a", "{a", "'a", '"a', "| a", "> a", "? a", ": a",
    " lead", "trail ", "a\nb", "a\n", "\n", "a\r\nb", "a\rb", "tab\there", "\t", "é", "日本語", "a\x85b",
    "a\u2028b", "a\u2029b", "\ufeffbom", "nul\x00", "bell\x07", "del\x7f", "---", "...", "--- a", "... a",
    "a\n---\nb", "emoji 😀",
]


@pytest.mark.parametrize("text", RISKY_STRINGS)
def test_encoded_strings_read_back_as_strings_in_yaml_1_1_and_1_2(text):
    value = {"k": text, text: "v", "list": [text]}
    out = yaml_codec.encode([value], fragile())
    assert decode(out) == [value]
    assert yaml.load(out, Loader=yaml.SafeLoader) == value  # PyYAML: YAML 1.1, pure Python reader
    assert yaml.load(out, Loader=yaml.CSafeLoader) == value  # libyaml


@pytest.mark.parametrize("text", ["yes", "on", "0o17", "017", "1_000", "1:20", "null", "~", "true", "2001-12-14",
                                  ".inf", ""])
def test_strings_that_would_resolve_otherwise_are_quoted(text):
    out = yaml_codec.encode([text], fragile()).decode()
    assert out.startswith(("'", '"'))


def test_encode_layout():
    value = {"z": 1, "a": [1, 2.5, None, True, "é", {"x": []}], "b": {}, "big": 2**100, "f": 1e20,
             "inf": math.inf, "ninf": -math.inf, "bin": b"\x00\xff", "text": "line 1\nline 2\n"}
    out = yaml_codec.encode([value], fragile()).decode("utf-8")
    assert out == (
        "z: 1\n"
        "a:\n- 1\n- 2.5\n- null\n- true\n- é\n- x: []\n"
        "b: {}\n"
        "big: 1267650600228229401496703205376\n"
        "f: 1.0e+20\n"
        "inf: .inf\n"
        "ninf: -.inf\n"
        "bin: !!binary AP8=\n"
        "text: |\n  line 1\n  line 2\n"
    )
    assert decode(out) == [value]


def test_nan_floats_round_trip():
    out = yaml_codec.encode([[math.nan, 0.1, -0.0, 5e-324, 1.7976931348623157e308]], fragile())
    back = decode(out)[0]
    assert math.isnan(back[0]) and back[1:] == [0.1, -0.0, 5e-324, 1.7976931348623157e308]


def test_several_documents_are_separated_by_markers():
    ctx = fragile()
    out = yaml_codec.encode([{"a": 1}, [2], "three", None], ctx)
    assert out.count(b"---") == 4
    assert decode(out) == [{"a": 1}, [2], "three", None]
    assert yaml_codec.encode([], ctx) == b""
    assert yaml_codec.encode([{"a": 1}], ctx) == b"a: 1\n"


def test_encode_record_starts_with_a_document_marker():
    ctx = fragile()
    records = [yaml_codec.encode_record(value, ctx) for value in ({"a": 1}, "x", [1])]
    assert all(record.startswith(b"---") for record in records)
    assert decode(b"".join(records)) == [{"a": 1}, "x", [1]]


def test_encoding_a_lone_surrogate_is_refused():
    with pytest.raises(InvalidInput) as caught:
        yaml_codec.encode([{"a": ["ok", "bad \ud800"]}], fragile())
    assert caught.value.code is Code.LONE_SURROGATE
    assert caught.value.issues[0].path == "/a/1"


def test_encoding_too_deep_or_cyclic_values_is_refused():
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(LimitExceeded):
        yaml_codec.encode([cyclic], fragile())


def test_encoding_other_canonical_types():
    import datetime
    import decimal
    import uuid

    value = [decimal.Decimal("1.10"), decimal.Decimal("1E+2"), datetime.date(2001, 12, 14),
             datetime.datetime(2001, 12, 14, 21, 59, 43), uuid.UUID(int=1)]
    out = yaml_codec.encode([value], fragile())
    assert decode(out) == [[1.1, 100.0, "2001-12-14", "2001-12-14T21:59:43", "00000000-0000-0000-0000-000000000001"]]
    assert yaml.load(out, Loader=yaml.SafeLoader)[2] == "2001-12-14"


# -- round trips ----------------------------------------------------------------------------------

json_scalars = (
    st.none() | st.booleans()
    | st.integers() | st.integers(min_value=-2**200, max_value=2**200)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.sampled_from(RISKY_STRINGS)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text() | st.sampled_from(RISKY_STRINGS),
                                                                      children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_round_trip_of_json_values(value):
    ctx = fragile()
    out = yaml_codec.encode([value], ctx)
    assert decode(out) == [value]
    assert not ctx.report.issues


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(json_values, max_size=4))
def test_round_trip_of_streams(values):
    ctx = fragile()
    assert decode(yaml_codec.encode(values, ctx)) == values
    records = b"".join(yaml_codec.encode_record(value, ctx) for value in values)
    assert decode(records) == values


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_encoded_values_read_back_the_same_in_yaml_1_1(value):
    out = yaml_codec.encode([value], fragile())
    assert yaml.load(out, Loader=yaml.CSafeLoader) == value


def test_codec_table_entries():
    assert yaml_codec.NAME == "yaml"
    assert yaml_codec.DESCRIPTION
    encoding = next(iter(yaml_codec.ENCODINGS.values()))
    assert encoding.name == "yaml" and encoding.multi_document


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, st.booleans())
def test_both_parser_routes_read_pyyaml_output_alike(value, flow):
    # raw NEL/LS/PS are line breaks to libyaml (YAML 1.1) and content to rapidyaml (1.2): left out
    text = yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=flow)
    if any(char in text for char in "\x85\u2028\u2029"):
        return
    data = text.encode("utf-8")

    def read(route):
        try:
            return route(data, robust()).run()
        except yaml_codec._Refused as refused:
            return refused.error.code

    assert repr(read(yaml_codec._TreeFold)) == repr(read(yaml_codec._EventFold))
