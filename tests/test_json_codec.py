"""Strict JSON and JSON Lines, as a user of convsvc.convert sees them."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convsvc
from convsvc.engine import FormatSpec
from convsvc.formats import json_codec
from convsvc.model import Code, Context, InvalidInput, InvalidRequest, LimitExceeded, Limits, Mode, Unimplemented

JSON = FormatSpec("json")
JSONL = FormatSpec("json", "jsonl")


def convert(payload: bytes, source=JSON, target=JSON, mode="fragile", limits=None):
    return convsvc.convert(payload, source=source, target=target, mode=mode, limits=limits)


def refusal(payload: bytes, **kwargs):
    with pytest.raises(InvalidInput) as caught:
        convert(payload, **kwargs)
    return caught.value


def test_valid_json_converts_to_compact_json():
    assert convert(b'{ "a" : [1, 2.5, "x", true, null] }').payload == b'{"a":[1,2.5,"x",true,null]}'


def test_indent_option_writes_two_space_indentation():
    out = convert(b'{"a":[1]}', target=FormatSpec("json", options={"indent": "2"})).payload
    assert out == b'{\n  "a": [\n    1\n  ]\n}'


def test_integers_past_64_bits_keep_every_digit():
    big = "123456789012345678901234567890123456789"
    assert convert(f'[{big}, -{big}, 18446744073709551615]'.encode()).payload == \
        f'[{big},-{big},18446744073709551615]'.encode()


def test_integer_past_double_range_keeps_every_digit():
    big = "9" * 400
    assert convert(f'{{"n": {big}}}'.encode()).payload == f'{{"n":{big}}}'.encode()


def test_duplicate_key_is_refused_in_fragile_mode():
    error = refusal(b'{"a": 1, "b": {"c": 1, "c": 2}, "a": 3}')
    assert [(issue.code, issue.path) for issue in error.issues] == [
        (Code.DUPLICATE_KEY, "/b/c"), (Code.DUPLICATE_KEY, "/a")]


def test_duplicate_key_keeps_last_value_and_is_reported_in_robust_mode():
    result = convert(b'{"a": 1, "b": 2, "a": 3}', mode="robust")
    assert result.payload == b'{"a":3,"b":2}'  # the last value at the first position, as JSON.parse does
    assert [(issue.code, issue.path, issue.line, issue.column) for issue in result.report] == [
        (Code.DUPLICATE_KEY, "/a", 1, 18)]


def test_duplicate_key_written_with_an_escape_is_still_a_duplicate():
    assert refusal(b'{"a": 1, "\\u0061": 2}').issues[0].code is Code.DUPLICATE_KEY


def test_colons_inside_strings_are_not_mistaken_for_members():
    assert convert(b'{"a:b": "c:d", "e": ["::"]}').payload == b'{"a:b":"c:d","e":["::"]}'


@pytest.mark.parametrize("payload", [b"[NaN]", b"[Infinity]", b"[-Infinity]"])
def test_non_finite_literals_are_refused(payload):
    assert refusal(payload).issues[0].code is Code.SYNTAX_ERROR


def test_number_past_double_range_is_refused():
    assert refusal(b"[1e400]").issues[0].code is Code.NUMBER_OUT_OF_RANGE


def test_invalid_utf8_is_refused_with_its_byte_position():
    issue = refusal(b'{"a": "\xff"}').issues[0]
    assert (issue.code, issue.offset, issue.line, issue.column) == (Code.INVALID_UTF8, 7, 1, 8)


def test_lone_surrogate_is_refused():
    assert refusal(b'["\\ud800"]').issues[0].code is Code.LONE_SURROGATE


def test_syntax_error_names_line_and_column_in_characters():
    issue = refusal('{\n  "é": [1,,2]\n}'.encode()).issues[0]
    assert (issue.code, issue.line, issue.column) == (Code.SYNTAX_ERROR, 2, 11)


def test_byte_order_mark_is_refused_in_fragile_mode():
    assert refusal(b"\xef\xbb\xbf{}").issues[0].code is Code.JSON_BOM


def test_empty_payload_is_refused_as_no_document():
    assert refusal(b"").issues[0].code is Code.NO_DOCUMENT


def test_json_lines_round_trip_one_value_per_line():
    payload = b'{"a":1}\n\n[2]\r\n"x"\n'
    assert convert(payload, source=JSONL, target=JSONL).payload == b'{"a":1}\n[2]\n"x"\n'


def test_json_lines_error_names_the_line_of_the_bad_record():
    issue = refusal(b'{"a":1}\n{"b":}\n', source=JSONL, target=JSONL).issues[0]
    assert (issue.code, issue.line, issue.column) == (Code.SYNTAX_ERROR, 2, 6)


def test_several_documents_to_plain_json_are_refused_in_fragile_mode():
    assert refusal(b"1\n2\n", source=JSONL).issues[0].code is Code.MULTIPLE_DOCUMENTS


def test_several_documents_to_plain_json_become_an_array_in_robust_mode():
    result = convert(b"1\n2\n", source=JSONL, mode="robust")
    assert result.payload == b"[1,2]"
    assert [issue.code for issue in result.report] == [Code.MULTIPLE_DOCUMENTS]


def test_unknown_encoding_is_an_invalid_request_naming_the_field():
    with pytest.raises(InvalidRequest) as caught:
        convert(b"1", target=FormatSpec("json", "csv"))
    assert caught.value.issues[0].path == "target.encoding"


def test_unknown_option_is_an_invalid_request():
    with pytest.raises(InvalidRequest) as caught:
        convert(b"1", target=FormatSpec("json", options={"colour": "red"}))
    assert caught.value.issues[0].path == "target.options"


# -- limits -------------------------------------------------------------------------------------

def limit_of(payload: bytes, limits: Limits = Limits(), **kwargs) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as caught:
        convert(payload, limits=limits, **kwargs)
    return caught.value


@pytest.mark.parametrize("payload", [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 201 + b"]" * 201])
def test_deep_nesting_is_refused_fast_naming_the_depth_limit(payload):
    started = time.perf_counter()
    error = limit_of(payload)
    assert time.perf_counter() - started < 0.1
    assert (error.limit, error.maximum, error.code) == ("max_depth", 200, Code.LIMIT_EXCEEDED)


def test_nesting_at_the_depth_limit_is_accepted():
    assert convert(b"[" * 200 + b"]" * 200).payload == b"[" * 200 + b"]" * 200


@pytest.mark.parametrize("payload", [b"[" + b"1" * 10_000_000 + b"]", b"[1." + b"1" * 10_000_000 + b"]"])
def test_ten_megabyte_number_is_refused_fast(payload):
    started = time.perf_counter()
    assert limit_of(payload).limit == "max_number_chars"
    assert time.perf_counter() - started < 0.5


def test_ten_megabyte_string_is_refused():
    assert limit_of(b'"' + b"a" * 10_000_000 + b'"').limit == "max_string_bytes"


def test_payload_over_the_message_limit_is_refused_before_parsing():
    error = limit_of(b"[" + b"1," * 600 + b"1]", Limits(max_message_bytes=1000))
    assert error.limit == "max_message_bytes"


def test_json_lines_record_count_is_limited():
    assert limit_of(b"1\n" * 11, Limits(max_documents=10), source=JSONL, target=JSONL).limit == "max_documents"


# -- encoding values that came from other formats -----------------------------------------------

def encode(value, mode=Mode.FRAGILE):
    ctx = Context(mode=mode, encoding="json", source_format="yaml")
    return json_codec.encode([value], ctx), ctx.report


def test_non_finite_float_from_another_format_becomes_null_and_is_reported():
    out, report = encode({"x": float("nan"), "y": [float("-inf")]}, Mode.ROBUST)
    assert out == b'{"x":null,"y":[null]}'
    assert [(issue.code, issue.path) for issue in report] == [
        (Code.NON_FINITE_NUMBER, "/x"), (Code.NON_FINITE_NUMBER, "/y/0")]


def test_bytes_from_another_format_become_base64_and_are_reported():
    out, report = encode({"b": b"\x00\xff"})
    assert out == b'{"b":"AP8="}'
    assert [issue.code for issue in report] == [Code.BINARY_AS_BASE64]


def test_big_integers_and_decimals_from_another_format_are_written_exactly():
    from decimal import Decimal

    out, report = encode([2**100, Decimal("1.10")])
    assert out == f"[{2**100},1.10]".encode()
    assert [(issue.code, issue.path, issue.level.name) for issue in report] == [(Code.PRECISION_LOST, "/0", "INFO")]


# -- properties ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_value_survives_json_to_json(value):
    text = json.dumps(value, ensure_ascii=False).encode()
    assert json.loads(convert(text).payload) == value


@settings(max_examples=200, deadline=None)
@given(st.lists(json_values, max_size=5))
def test_any_values_survive_json_lines(values):
    text = b"".join(json.dumps(value).encode() + b"\n" for value in values)
    out = convert(text, source=JSONL, target=JSONL).payload
    assert [json.loads(line) for line in out.splitlines()] == values


# -- ROBUST: what strict parsing refuses goes to the repairer -----------------------------------

def test_robust_mode_repairs_broken_json_and_reports_each_repair_with_its_position():
    result = convert(b'{a: 1, "b": [1, 2,], // note\n"c": None}', mode="robust")
    assert result.payload == b'{"a":1,"b":[1,2],"c":null}'
    assert [(i.code, i.path, i.line, i.column) for i in result.report] == [
        (Code.JSON_UNQUOTED_KEY, "/a", 1, 2), (Code.JSON_TRAILING_COMMA, "/b", 1, 18),
        (Code.JSON_COMMENT, "", 1, 22), (Code.JSON_PYTHON_LITERAL, "/c", 2, 6)]


def test_the_same_broken_json_is_refused_in_fragile_mode():
    assert refusal(b'{a: 1}').issues[0].code is Code.SYNTAX_ERROR


def test_robust_json_lines_repairs_are_placed_in_the_whole_payload():
    result = convert(b'{"a": 1}\n{b: 2,}\n', source=JSONL, target=JSONL, mode="robust")
    assert result.payload == b'{"a":1}\n{"b":2}\n'
    assert [(i.code, i.offset, i.line, i.column) for i in result.report] == [
        (Code.JSON_UNQUOTED_KEY, 10, 2, 2), (Code.JSON_TRAILING_COMMA, 14, 2, 6)]


def test_robust_mode_never_repairs_around_a_limit():
    with pytest.raises(LimitExceeded):
        convert(b"[" * 100_000, mode="robust")


def test_integers_past_2_53_are_written_exactly_and_noted_for_javascript_readers():
    from convsvc.engine import ConvertRequest, Engine, FormatSpec

    yaml = b"a: [1, 9007199254740993]\nb: 1152921504606846976\nc: '12345678901234567'\nd: 9007199254740992\n"
    result = Engine().convert(ConvertRequest(FormatSpec("yaml"), FormatSpec("json"), yaml))  # FRAGILE accepts
    assert result.payload == b'{"a":[1,9007199254740993],"b":1152921504606846976,"c":"12345678901234567",' \
                             b'"d":9007199254740992}'
    [issue] = result.report
    assert (issue.code, issue.path, issue.level.name) == (Code.PRECISION_LOST, "/a/1", "INFO")
    assert issue.message == ("the integer 9007199254740993 (and 1 more) is past 2^53: exact in this JSON, but "
                             "JavaScript's JSON.parse and other double-based readers round it")
    assert not list(convert(b'{"s": "12345678901234567890", "n": 9007199254740992}').report)
