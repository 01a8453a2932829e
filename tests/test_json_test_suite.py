"""Every file of JSONTestSuite's test_parsing: y_ accepted exactly, n_ refused with a position, i_ as documented
(docs/formats.md, "JSON: implementation-defined inputs")."""

from __future__ import annotations

import json
import pathlib

import pytest

import convsvc
from convsvc.model import Code, ConversionError, InvalidInput, LimitExceeded
from tests.conftest import corpora_root

SUITE = corpora_root() / "JSONTestSuite" / "test_parsing"
FILES = sorted(SUITE.glob("*.json"))
DUPLICATE_KEY_FILES = {"y_object_duplicated_key.json", "y_object_duplicated_key_and_value.json"}

# i_ files: the documented behaviour of each (None = accepted; the value is then compared with Python's json).
IMPLEMENTATION_DEFINED = {
    "i_number_double_huge_neg_exp.json": None,  # underflows to 0.0, as an IEEE double must
    "i_number_real_underflow.json": None,
    "i_number_too_big_neg_int.json": None,  # integers are exact at any size
    "i_number_too_big_pos_int.json": None,
    "i_number_very_big_negative_int.json": None,
    "i_number_huge_exp.json": Code.NUMBER_OUT_OF_RANGE,  # past a double's range: refused, never infinity
    "i_number_neg_int_huge_exp.json": Code.NUMBER_OUT_OF_RANGE,
    "i_number_pos_double_huge_exp.json": Code.NUMBER_OUT_OF_RANGE,
    "i_number_real_neg_overflow.json": Code.NUMBER_OUT_OF_RANGE,
    "i_number_real_pos_overflow.json": Code.NUMBER_OUT_OF_RANGE,
    "i_object_key_lone_2nd_surrogate.json": Code.LONE_SURROGATE,  # no text can hold half a pair
    "i_string_1st_surrogate_but_2nd_missing.json": Code.LONE_SURROGATE,
    "i_string_1st_valid_surrogate_2nd_invalid.json": Code.LONE_SURROGATE,
    "i_string_incomplete_surrogate_and_escape_valid.json": Code.LONE_SURROGATE,
    "i_string_incomplete_surrogate_pair.json": Code.LONE_SURROGATE,
    "i_string_incomplete_surrogates_escape_valid.json": Code.LONE_SURROGATE,
    "i_string_invalid_lonely_surrogate.json": Code.LONE_SURROGATE,
    "i_string_invalid_surrogate.json": Code.LONE_SURROGATE,
    "i_string_inverted_surrogates_U+1D11E.json": Code.LONE_SURROGATE,
    "i_string_lone_second_surrogate.json": Code.LONE_SURROGATE,
    "i_string_UTF-16LE_with_BOM.json": Code.INVALID_UTF8,  # JSON exchanged between systems is UTF-8 (RFC 8259 8.1)
    "i_string_UTF-8_invalid_sequence.json": Code.INVALID_UTF8,
    "i_string_UTF8_surrogate_U+D800.json": Code.INVALID_UTF8,
    "i_string_invalid_utf-8.json": Code.INVALID_UTF8,
    "i_string_iso_latin_1.json": Code.INVALID_UTF8,
    "i_string_lone_utf8_continuation_byte.json": Code.INVALID_UTF8,
    "i_string_not_in_unicode_range.json": Code.INVALID_UTF8,
    "i_string_overlong_sequence_2_bytes.json": Code.INVALID_UTF8,
    "i_string_overlong_sequence_6_bytes.json": Code.INVALID_UTF8,
    "i_string_overlong_sequence_6_bytes_null.json": Code.INVALID_UTF8,
    "i_string_truncated-utf-8.json": Code.INVALID_UTF8,
    "i_string_utf16BE_no_BOM.json": Code.INVALID_UTF8,
    "i_string_utf16LE_no_BOM.json": Code.INVALID_UTF8,
    "i_structure_500_nested_arrays.json": Code.LIMIT_EXCEEDED,  # deeper than max_depth (200)
    "i_structure_UTF-8_BOM_empty_object.json": Code.JSON_BOM,  # refused in FRAGILE; ROBUST removes it
}


def convert(path: pathlib.Path, mode: str = "fragile") -> bytes:
    return convsvc.convert(path.read_bytes(), source="json", target="json", mode=mode).payload


def test_the_suite_is_there():
    assert len(FILES) >= 300, f"JSONTestSuite not found at {SUITE}"


@pytest.mark.parametrize("path", [p for p in FILES if p.name.startswith("y_") and p.name not in DUPLICATE_KEY_FILES],
                         ids=lambda p: p.name)
def test_y_file_is_accepted_with_its_exact_value(path):
    assert json.loads(convert(path)) == json.loads(path.read_bytes())


@pytest.mark.parametrize("name", sorted(DUPLICATE_KEY_FILES))
def test_y_duplicate_key_file_is_refused_in_fragile_and_keeps_the_last_value_in_robust(name):
    path = SUITE / name
    with pytest.raises(InvalidInput) as caught:
        convert(path)
    assert caught.value.code is Code.DUPLICATE_KEY
    assert json.loads(convert(path, "robust")) == json.loads(path.read_bytes())


@pytest.mark.parametrize("path", [p for p in FILES if p.name.startswith("n_")], ids=lambda p: p.name)
def test_n_file_is_refused_with_a_position(path):
    with pytest.raises((InvalidInput, LimitExceeded)) as caught:
        convert(path)
    first = caught.value.issues[0]
    assert first.line is not None and first.column is not None and first.offset is not None


def test_every_i_file_has_a_documented_behaviour():
    assert sorted(p.name for p in FILES if p.name.startswith("i_")) == sorted(IMPLEMENTATION_DEFINED)


@pytest.mark.parametrize("name", sorted(IMPLEMENTATION_DEFINED), ids=str)
def test_i_file_behaves_as_documented(name):
    expected = IMPLEMENTATION_DEFINED[name]
    path = SUITE / name
    if expected is None:
        assert json.loads(convert(path)) == json.loads(path.read_bytes())
    else:
        with pytest.raises(ConversionError) as caught:
            convert(path)
        assert caught.value.code is expected
