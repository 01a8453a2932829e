"""Conforming canonical values to a schema's Shape: typed values, coercions (ROBUST) and refusals."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from convsvc.model import Code, Context, InvalidInput, Mode
from convsvc.model.conform import conform
from convsvc.schemas import SchemaSource, compile_schema

ORDER = compile_schema(SchemaSource("avro", '''{"type": "record", "name": "Order", "namespace": "acme",
  "fields": [
    {"name": "id", "type": "long"},
    {"name": "qty", "type": "int", "default": 1},
    {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2}},
    {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "blob", "type": "bytes"},
    {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}},
    {"name": "tags", "type": {"type": "array", "items": "string"}},
    {"name": "note", "type": ["null", "string"], "default": null},
    {"name": "ratio", "type": "double"}
  ]}''')).shape

GOOD = {"id": 7, "qty": 2, "price": "12.50", "at": "2024-05-01T10:00:00Z", "day": "2024-05-01",
        "ref": "12345678-1234-5678-1234-567812345678", "blob": "AAE=", "status": "PAID", "tags": ["a"],
        "note": None, "ratio": 0.5}


def run(value, mode=Mode.FRAGILE):
    ctx = Context(mode=mode)
    return conform(value, ORDER, ctx), [(issue.code, issue.path) for issue in ctx.report]


def refused(value, mode=Mode.FRAGILE):
    with pytest.raises(InvalidInput) as caught:
        run(value, mode)
    issue = caught.value.issues[0]
    return issue.code, issue.path, issue.message


def test_documented_text_forms_become_typed_values_without_any_report():
    value, issues = run(GOOD)
    assert value == {"id": 7, "qty": 2, "price": Decimal("12.50"),
                     "at": dt.datetime(2024, 5, 1, 10, tzinfo=dt.timezone.utc), "day": dt.date(2024, 5, 1),
                     "ref": uuid.UUID("12345678-1234-5678-1234-567812345678"), "blob": b"\x00\x01",
                     "status": "PAID", "tags": ["a"], "note": None, "ratio": 0.5}
    assert issues == []


def test_epoch_numbers_are_read_in_the_unit_of_the_logical_type():
    value, _ = run({**GOOD, "at": 1714557600000, "day": 19844})
    assert (value["at"], value["day"]) == (dt.datetime(2024, 5, 1, 10, tzinfo=dt.timezone.utc), dt.date(2024, 5, 1))


def test_integer_out_of_range_is_refused_in_both_modes_with_its_path():
    for mode in Mode:
        assert refused({**GOOD, "qty": 2**40}, mode)[:2] == (Code.VALUE_OUT_OF_RANGE, "/qty")


def test_wrong_type_is_a_schema_violation_naming_what_was_expected():
    assert refused({**GOOD, "id": "seven"}) == (Code.SCHEMA_VIOLATION, "/id", "expected an integer (int64), got the string 'seven'")


def test_numeric_string_is_coerced_and_reported_in_robust_mode():
    value, issues = run({**GOOD, "id": "42", "ratio": "0.25"}, Mode.ROBUST)
    assert (value["id"], value["ratio"]) == (42, 0.25)
    assert issues == [(Code.COERCED_STRING_TO_NUMBER, "/id"), (Code.COERCED_STRING_TO_NUMBER, "/ratio")]


def test_missing_field_with_default_is_filled_and_reported():
    value, issues = run({k: v for k, v in GOOD.items() if k != "qty"}, Mode.ROBUST)
    assert value["qty"] == 1
    assert issues == [(Code.DEFAULT_FILLED, "/qty")]


def test_missing_required_field_is_refused():
    assert refused({k: v for k, v in GOOD.items() if k != "id"}, Mode.ROBUST)[:2] == (Code.SCHEMA_VIOLATION, "/id")


def test_unknown_field_is_dropped_and_reported():
    value, issues = run({**GOOD, "extra": 1}, Mode.ROBUST)
    assert "extra" not in value
    assert issues == [(Code.UNKNOWN_FIELD_DROPPED, "/extra")]


def test_enum_symbol_in_other_case_matches_only_in_robust_mode():
    assert refused({**GOOD, "status": "paid"})[:2] == (Code.SCHEMA_VIOLATION, "/status")
    value, issues = run({**GOOD, "status": "paid"}, Mode.ROBUST)
    assert (value["status"], issues) == ("PAID", [(Code.COERCED_ENUM_CASE, "/status")])


def test_decimal_with_more_digits_than_its_scale_is_rounded_and_reported():
    value, issues = run({**GOOD, "price": 12.345}, Mode.ROBUST)
    assert (value["price"], issues) == (Decimal("12.34"), [(Code.PRECISION_LOST, "/price")])


def test_decimal_past_its_precision_is_refused():
    assert refused({**GOOD, "price": "123456.00"})[:2] == (Code.VALUE_OUT_OF_RANGE, "/price")


def test_timestamp_without_offset_is_refused_in_fragile_and_taken_as_utc_in_robust():
    assert refused({**GOOD, "at": "2024-05-01T10:00:00"})[:2] == (Code.SCHEMA_VIOLATION, "/at")
    value, issues = run({**GOOD, "at": "2024-05-01T10:00:00"}, Mode.ROBUST)
    assert value["at"].tzinfo is dt.timezone.utc and issues == [(Code.TIMEZONE_ASSUMED, "/at")]


def test_single_value_becomes_a_one_element_array_in_robust_mode():
    value, issues = run({**GOOD, "tags": "solo"}, Mode.ROBUST)
    assert (value["tags"], issues) == (["solo"], [(Code.COERCED_TO_ARRAY, "/tags")])


def test_bytes_must_be_valid_base64_text():
    assert refused({**GOOD, "blob": "not base64!"})[:2] == (Code.SCHEMA_VIOLATION, "/blob")


def test_union_takes_the_first_branch_the_value_fits_exactly():
    shape = compile_schema(SchemaSource("avro", '["null", "int", "string"]')).shape
    ctx = Context(mode=Mode.ROBUST)
    assert [conform(v, shape, ctx) for v in (None, 5, "5")] == [None, 5, "5"]
    assert len(ctx.report) == 0


def test_float_with_integral_value_into_an_int_field_is_a_reported_coercion():
    value, issues = run({**GOOD, "id": 7.0}, Mode.ROBUST)
    assert (value["id"], issues) == (7, [(Code.COERCED_FLOAT_TO_INT, "/id")])
