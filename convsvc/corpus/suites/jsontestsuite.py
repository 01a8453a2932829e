"""JSONTestSuite (Nicolas Seriot): every file of test_parsing, converted JSON to JSON.

y_ files are accepted with their exact value (the two with a duplicate key are refused in FRAGILE with
DUPLICATE_KEY and keep the last value in ROBUST); n_ files are refused with a position (offset,
line:column); i_ files behave as docs/formats.md documents ("JSON: implementation-defined inputs").
"""

from __future__ import annotations

import json
import pathlib

from convsvc.corpus.model import Case, Judgement, Suite, SuiteUnavailable, Where
from convsvc.corpus.suites._judging import request, show, show_bytes, verdict
from convsvc.model import Code, Mode

NAME = "jsontestsuite"
DESCRIPTION = "JSONTestSuite: y_ accepted exactly, n_ refused with a position, i_ as documented"
ORDER = 10

DUPLICATE_KEY_FILES = {"y_object_duplicated_key.json", "y_object_duplicated_key_and_value.json"}

# i_ files: the documented behaviour of each (None = accepted, the value then compared with Python's json).
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


def folder(where: Where) -> pathlib.Path:
    return where.corpora / "JSONTestSuite" / "test_parsing"


def discover(suite: Suite, where: Where) -> list[Case]:
    files = sorted(folder(where).glob("*.json"))
    if not files:
        raise SuiteUnavailable(f"JSONTestSuite not found at {folder(where)} (set --corpora or $CONVSVC_CORPORA)")
    cases = []
    for path in files:
        kind = path.name[0]
        if path.name in DUPLICATE_KEY_FILES:
            kind = "y-duplicate-key"
        cases.append(Case(id=f"{NAME}/{path.name}", suite=suite.name, module=__name__.rsplit(".", 1)[1],
                          pair=("json", "json"), data={"path": str(path), "kind": kind}))
    return cases


def judge(case: Case, target) -> Judgement:
    path = pathlib.Path(case.data["path"])
    data = path.read_bytes()
    kind = case.data["kind"]
    if kind == "y":
        return _accepted_exactly(data, target)
    if kind == "y-duplicate-key":
        return _duplicate_key(data, target)
    if kind == "n":
        return _refused_with_a_position(data, target)
    if path.name not in IMPLEMENTATION_DEFINED:
        return verdict(False, "a documented behaviour", "", detail=f"{path.name} has no documented behaviour in "
                       "IMPLEMENTATION_DEFINED (docs/formats.md)")
    expected = IMPLEMENTATION_DEFINED[path.name]
    if expected is None:
        return _accepted_exactly(data, target)
    outcome = target.convert(request(data, "json", "json"))
    ok = not outcome.converted and outcome.first.code is expected
    return verdict(ok, f"refused: {expected.name}", show(outcome), outcome,
                   detail=f"expected a refusal with {expected.name}")


def _same_value(outcome, data: bytes) -> bool:
    try:
        return outcome.converted and json.loads(outcome.payload) == json.loads(data)
    except ValueError:
        return False


def _accepted_exactly(data: bytes, target) -> Judgement:
    outcome = target.convert(request(data, "json", "json"))
    return verdict(_same_value(outcome, data), show_bytes(data), show(outcome), outcome,
                   detail="expected the same value back")


def _duplicate_key(data: bytes, target) -> Judgement:
    fragile = target.convert(request(data, "json", "json"))
    robust = target.convert(request(data, "json", "json", Mode.ROBUST))
    refused = not fragile.converted and fragile.kind == "InvalidInput" and fragile.first.code is Code.DUPLICATE_KEY
    kept = _same_value(robust, data)
    return verdict(refused and kept, f"FRAGILE: refused: DUPLICATE_KEY\nROBUST: {show_bytes(data)}",
                   f"FRAGILE: {show(fragile)}\nROBUST: {show(robust)}", robust,
                   detail="FRAGILE must refuse with DUPLICATE_KEY" if not refused else
                   "ROBUST must keep the last value")


def _refused_with_a_position(data: bytes, target) -> Judgement:
    outcome = target.convert(request(data, "json", "json"))
    first = outcome.first
    ok = (not outcome.converted and outcome.kind in ("InvalidInput", "LimitExceeded")
          and first.line is not None and first.column is not None and first.offset is not None)
    return verdict(ok, "refused (InvalidInput or LimitExceeded), the first issue placed: offset, line, column",
                   show(outcome), outcome, detail="accepted" if outcome.converted else "refused without a position")
