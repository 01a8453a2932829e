"""conform()'s compiled fast path against the reference walk: same values, same issues, same refusals.

The fast path may only answer "this value already fits: here it is"; everything else is the walk's. So on
generated shapes and values, in both modes and under small depth limits: conform() and the walk alone
agree exactly, a value the fast path returns is the walk's with nothing reported, and every value the walk
conforms with nothing to report is conformed by the fast path itself (it never gives up on clean input).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convsvc.model import Code, Context, ConversionError, Limits, Mode
from convsvc.model.conform import _Bail, compile_conformer, conform, conform_by_walk
from convsvc.model.shape import INTEGER_RANGES, NO_DEFAULT, Field, Kind, Shape
from convsvc.schemas import SchemaSource, compile_schema
from tests.conftest import ROOT

# -- shapes ---------------------------------------------------------------------------------------------

_NAMES = ("a", "b", "c", "d")
_OTHER_KEYS = ("a", "B", "x", "y")  # json names and aliases; some collide with field names


def _scalar_shapes() -> st.SearchStrategy[Shape]:
    plain = [Kind.NULL, Kind.BOOL, Kind.INT32, Kind.INT64, Kind.UINT32, Kind.UINT64, Kind.FLOAT, Kind.DOUBLE,
             Kind.STRING, Kind.BYTES, Kind.DATE, Kind.UUID, Kind.ANY, Kind.DURATION, Kind.CALENDAR_DURATION]
    hot = [Kind.BOOL, Kind.INT32, Kind.INT64, Kind.UINT32, Kind.UINT64, Kind.DOUBLE, Kind.STRING]  # twice as likely
    made = {
        Kind.DECIMAL: st.builds(lambda p, s: Shape(Kind.DECIMAL, precision=p, scale=s), st.integers(0, 8),
                                st.integers(0, 4)),
        Kind.FIXED: st.builds(lambda size: Shape(Kind.FIXED, name="F", size=size), st.integers(0, 4)),
        Kind.ENUM: st.builds(lambda symbols: Shape(Kind.ENUM, name="E", symbols=tuple(symbols)),
                             st.lists(st.sampled_from(["A", "B", "b", "Ab"]), min_size=1, max_size=3, unique=True)),
        Kind.TIMESTAMP: st.builds(lambda unit: Shape(Kind.TIMESTAMP, unit=unit), st.sampled_from(["millis", "micros", "nanos", ""])),
        Kind.LOCAL_TIMESTAMP: st.builds(lambda unit: Shape(Kind.LOCAL_TIMESTAMP, unit=unit),
                                        st.sampled_from(["millis", "micros", "nanos", ""])),
        Kind.TIME: st.builds(lambda unit: Shape(Kind.TIME, unit=unit), st.sampled_from(["millis", "micros"])),
    }
    return st.sampled_from(plain + hot + list(made)).flatmap(lambda kind: made.get(kind, st.just(kind).map(Shape)))


@st.composite
def _fields(draw, children: st.SearchStrategy[Shape], record: Shape) -> list[Field]:
    fields = []
    for name in draw(st.lists(st.sampled_from(_NAMES), max_size=4, unique=True)):
        if draw(st.integers(0, 5)) == 0:  # refers to the record itself (a tree)
            shape = draw(st.sampled_from([Shape(Kind.UNION, branches=(Shape(Kind.NULL), record)),
                                          Shape(Kind.ARRAY, items=record)]))
        else:
            shape = draw(children)
        default = draw(st.one_of(st.just(NO_DEFAULT), st.just(NO_DEFAULT), st.none(), st.integers(-3, 3),
                                 st.just("A")))
        fields.append(Field(name=name, shape=shape, default=default, required=draw(st.integers(0, 3)) == 0,
                            json_name=draw(st.sampled_from(["", "", *_OTHER_KEYS])),
                            aliases=tuple(draw(st.lists(st.sampled_from(_OTHER_KEYS), max_size=2, unique=True)))))
    return fields


@st.composite
def _containers(draw, children: st.SearchStrategy[Shape]) -> Shape:
    kind = draw(st.sampled_from([Kind.ARRAY, Kind.MAP, Kind.RECORD, Kind.RECORD, Kind.UNION]))
    if kind in (Kind.ARRAY, Kind.MAP):
        return Shape(kind, items=draw(children))
    if kind is Kind.UNION:
        return Shape(Kind.UNION, branches=tuple(draw(st.lists(children, min_size=1, max_size=4))))
    record = Shape(Kind.RECORD, name="R")
    record.fields = draw(_fields(children, record))
    return record


SHAPES = st.recursive(_scalar_shapes(), lambda children: _containers(children), max_leaves=12)


# -- values: mostly fitting their shape, sometimes a little off, sometimes anything -----------------------

_JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6), st.binary(max_size=4),
              st.decimals(places=None), st.sampled_from(["true", "FALSE", "12", "1.5", "AAE=", "2024-05-01",
                                                         "2024-05-01T10:00:00Z", "10:00:00", "b", "A"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(_NAMES + _OTHER_KEYS),
                                                                         inner, max_size=3)),
    max_leaves=6)
_AWARE = st.datetimes(timezones=st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=-3))]))


def _scalar_values(shape: Shape) -> tuple[st.SearchStrategy, st.SearchStrategy]:
    """(values of the shape's natural types, values off the mark: coercible, out of range, malformed)."""
    kind = shape.kind
    if kind is Kind.NULL:
        return st.none(), st.just(0)
    if kind is Kind.BOOL:
        return st.booleans(), st.sampled_from(["true", "False", "yes", 1])
    if kind in INTEGER_RANGES:
        low, high = INTEGER_RANGES[kind]
        return st.one_of(st.integers(low, high), st.integers(low, high), st.sampled_from([low, high, low - 1, high + 1])), \
            st.one_of(st.integers(-5, 5).map(Decimal), st.sampled_from([3.0, 2.5, True, "42", " 7 ", "x", Decimal("2.5")]))
    if kind in (Kind.FLOAT, Kind.DOUBLE):
        return st.one_of(st.floats(), st.floats(width=32), st.integers(-(2**60), 2**60),
                         st.sampled_from([2**53, -(2**53), 2**53 + 1, -(2**53) - 1, 2**63 + 1])), st.one_of(
            st.sampled_from([10**400, "0.25", "nan", True, 3.5e38]),
            st.decimals(allow_nan=False, allow_infinity=False, places=3))
    if kind is Kind.DECIMAL:
        return st.one_of(st.decimals(places=3), st.integers(-10**9, 10**9), st.sampled_from(["12.50", " 1e3 "])), \
            st.one_of(st.floats(), st.sampled_from(["x", "NaN", True]))
    if kind is Kind.STRING:  # some strings other branches of a union could read in ROBUST mode
        return st.one_of(st.text(max_size=8), st.sampled_from(["42", "true", "1.5", "A", "b", "AAE=", "2024-05-01"])), \
            st.one_of(st.integers(), st.floats(), st.just(Decimal("1.5")))
    if kind in (Kind.BYTES, Kind.FIXED):
        data = st.binary(min_size=shape.size, max_size=shape.size) if kind is Kind.FIXED else st.binary(max_size=5)
        return st.one_of(data, data.map(lambda b: base64.b64encode(b).decode())), \
            st.one_of(data.map(bytearray), st.binary(max_size=5), st.sampled_from(["not base64!", "AAE"]))
    if kind is Kind.ENUM:
        return st.one_of(st.sampled_from(shape.symbols), st.sampled_from(shape.symbols), st.sampled_from(["a", "B", "Z"])), \
            st.one_of(st.sampled_from(["AB", ""]), st.integers(0, 2))
    if kind in (Kind.TIMESTAMP, Kind.LOCAL_TIMESTAMP):
        moments = _AWARE if kind is Kind.TIMESTAMP else st.datetimes()
        other = st.datetimes() if kind is Kind.TIMESTAMP else _AWARE
        return st.one_of(moments, moments.map(dt.datetime.isoformat), st.integers(-(2**62), 2**62)), \
            st.one_of(other, other.map(dt.datetime.isoformat), st.sampled_from(["2024-05-01T10:00:00z", "x", 1.5]))
    if kind is Kind.DATE:
        return st.one_of(st.dates(), st.dates().map(dt.date.isoformat), st.integers(-10**6, 10**6)), \
            st.one_of(_AWARE, st.just("2024-02-30"))
    if kind is Kind.TIME:
        return st.one_of(st.times(), st.times().map(dt.time.isoformat), st.integers(0, 10**10)), \
            st.one_of(st.integers(-10, -1), st.just("25:00"))
    if kind is Kind.UUID:
        return st.one_of(st.uuids(), st.uuids().map(str)), st.just("not-a-uuid")
    return _JUNK, _JUNK  # ANY, DURATION, CALENDAR_DURATION


def values(shape: Shape, depth: int = 0) -> st.SearchStrategy:
    """Values for `shape`: at each node mostly of its natural types, sometimes off the mark or anything."""
    kind = shape.kind
    if depth > 6:  # recursive shapes: the smallest value that may still fit
        if kind in (Kind.ARRAY, Kind.MAP, Kind.RECORD):
            return st.just({} if kind is not Kind.ARRAY else [])
        if kind is Kind.UNION:
            return st.none()
    off = _JUNK
    if kind is Kind.ARRAY:
        items = st.lists(values(shape.items, depth + 1), max_size=3)
        fitting, off = st.one_of(items, items, items.map(tuple)), values(shape.items, depth + 1)
    elif kind is Kind.MAP:
        fitting = st.dictionaries(st.text(max_size=3), values(shape.items, depth + 1), max_size=3)
    elif kind is Kind.UNION:
        fitting = st.one_of(st.none(), *(values(branch, depth + 1) for branch in shape.branches))
    elif kind is Kind.RECORD:
        fitting = _record_values(shape, depth)
    else:
        fitting, off = _scalar_values(shape)
    return st.integers(0, 39).flatmap(lambda n: _JUNK if n == 0 else off if n <= 3 else fitting)


@st.composite
def _record_values(draw, shape: Shape, depth: int) -> dict:
    out = {}
    for field in shape.fields:
        if draw(st.integers(0, 9)) == 0:
            continue  # missing
        keys = [field.name, *([field.json_name] if field.json_name else []), *field.aliases]
        key = keys[0] if draw(st.integers(0, 3)) else draw(st.sampled_from(keys))
        out[key] = draw(values(field.shape, depth + 1))
    if draw(st.integers(0, 9)) == 0:
        out[draw(st.sampled_from(_NAMES + _OTHER_KEYS + ("extra",)))] = 1
    return out


# -- comparing outcomes ---------------------------------------------------------------------------------

def canonical(value):
    """`value` with every type spelled out: 1, 1.0, True and Decimal(1) are all different here."""
    if isinstance(value, dict):
        return ("dict", type(value).__name__, [(canonical(key), canonical(item)) for key, item in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [canonical(item) for item in value])
    return (type(value).__name__, repr(value))


def outcome(run, value, shape: Shape, mode: Mode, max_depth: int):
    ctx = Context(mode=mode, limits=Limits(max_depth=max_depth))
    try:
        result = run(value, shape, ctx)
    except ConversionError as error:
        return ("refused", type(error).__name__, [(i.code, i.path, i.message) for i in error.issues],
                [(i.code, i.path, i.message) for i in ctx.report])
    except (ArithmeticError, ValueError, TypeError) as error:  # what the walk itself lets through
        return ("raised", type(error).__name__, str(error))
    return ("conformed", canonical(result), [(i.code, i.path, i.message) for i in ctx.report])


def _has_ambiguous_record(shape: Shape, seen=None) -> bool:
    """Two fields answering to one key: the fast path leaves such a record to the walk."""
    seen = set() if seen is None else seen
    if id(shape) in seen:
        return False
    seen.add(id(shape))
    if shape.kind is Kind.RECORD:
        keys = []
        for field in shape.fields:
            keys += {field.name, *([field.json_name] if field.json_name else []), *field.aliases}
        if len(keys) != len(set(keys)):
            return True
    children = [*shape.branches, *([shape.items] if shape.items is not None else []),
                *(field.shape for field in shape.fields)]
    return any(_has_ambiguous_record(child, seen) for child in children)


def check(shape: Shape, value, mode: Mode, max_depth: int) -> None:
    before = canonical(value)
    expected = outcome(conform_by_walk, value, shape, mode, max_depth)
    assert outcome(conform, value, shape, mode, max_depth) == expected
    try:
        fast = ("conformed", canonical(compile_conformer(shape)(value, max_depth)), [])
    except _Bail:
        fast = None
    if fast is not None:
        assert fast == expected  # the fast path answers only what the walk answers with nothing to report
    elif expected[0] == "conformed" and not expected[2]:
        assert _has_ambiguous_record(shape), "the walk conformed it cleanly, yet the fast path gave up"
    assert canonical(value) == before  # neither changes its input


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data(), SHAPES, st.sampled_from(list(Mode)), st.sampled_from([200, 200, 1, 2, 3, 4]))
def test_fast_path_and_walk_agree_on_generated_shapes_and_values(data, shape, mode, max_depth):
    check(shape, data.draw(values(shape)), mode, max_depth)


# Edges of each kind the fast path decides itself, in both modes, as a field of a record and alone.
EDGES = [
    *((Shape(kind), value) for kind, (low, high) in INTEGER_RANGES.items()
      for value in (low, high, low - 1, high + 1, 0, True, 1.0, Decimal(3), "4")),
    *((Shape(Kind.DOUBLE), value) for value in (2**53, -(2**53), 2**53 + 1, -(2**53) - 1, 2**1100, 0.5, True, "1")),
    *((Shape(Kind.ENUM, name="E", symbols=("A", "B")), value) for value in ("A", "B", "a", "C", "", 1)),
    *((Shape(Kind.FIXED, name="F", size=2), value) for value in (b"ab", b"a", bytearray(b"ab"), "YWI=", "YQ==")),
    *((Shape(Kind.STRING), value) for value in ("", "x", 1, 1.5, None)),
    *((Shape(Kind.BOOL), value) for value in (True, False, "true", 1, None)),
    *((Shape(Kind.NULL), value) for value in (None, 0, "")),
]


@pytest.mark.parametrize("shape, value", EDGES, ids=[f"{shape.describe()}-{value!r}" for shape, value in EDGES])
def test_fast_path_and_walk_agree_on_the_edges_of_each_kind(shape, value):
    record = Shape(Kind.RECORD, name="R", fields=[Field("f", shape)])
    optional = Shape(Kind.UNION, branches=(Shape(Kind.NULL), shape, Shape(Kind.STRING)))
    for mode in Mode:
        for max_depth in (1, 200):
            check(shape, value, mode, max_depth)
            check(record, {"f": value}, mode, max_depth)
            check(optional, value, mode, max_depth)
            check(Shape(Kind.ARRAY, items=shape), [value, value], mode, max_depth)


# -- the example schemas, through their compiled Shapes ---------------------------------------------------

EXAMPLES = ROOT / "schemas" / "examples"
ORDER_AVRO = compile_schema(SchemaSource("avro", (EXAMPLES / "order.avsc").read_text())).shape
ORDER = {"id": 9007199254740993, "customer": "Customer 1 — 数学者 ✓", "status": "STATUS_NEW",
         "lines": [{"sku": f"SKU-{n}", "qty": n, "price": f"{n}.50"} for n in range(3)],
         "tags": {"vip": True, "gift": False}, "note": None, "placed_at": "2024-05-02T10:01:00.123456+00:00",
         "signature": "AAECAwQF/w==", "weight": 1.5}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(list(Mode)))
def test_fast_path_and_walk_agree_on_the_example_order(data, mode):
    check(ORDER_AVRO, data.draw(values(ORDER_AVRO)), mode, 200)


def test_an_order_that_fits_is_conformed_by_the_fast_path_alone():
    fast = compile_conformer(ORDER_AVRO)(ORDER, 200)
    assert fast == conform_by_walk(ORDER, ORDER_AVRO, Context())
    assert fast["placed_at"] == dt.datetime(2024, 5, 2, 10, 1, 0, 123456, tzinfo=dt.timezone.utc)
    assert fast["signature"] == bytes([0, 1, 2, 3, 4, 5, 255])


def test_conformed_containers_are_new_so_callers_may_change_them():
    result = conform(ORDER, ORDER_AVRO, Context())
    assert result is not ORDER
    assert result["lines"] is not ORDER["lines"] and result["lines"][0] is not ORDER["lines"][0]
    assert result["tags"] is not ORDER["tags"]
    strings = Shape(Kind.ARRAY, items=Shape(Kind.STRING))
    items = ["a", "b"]
    assert conform(items, strings, Context()) == items and conform(items, strings, Context()) is not items


def test_an_issue_is_reported_at_its_path_by_the_walk():
    ctx = Context(mode=Mode.ROBUST)
    value = {**ORDER, "lines": [*ORDER["lines"], {"sku": "S", "qty": "4", "price": "1", "gift": True}]}
    result = conform(value, ORDER_AVRO, ctx)
    assert result["lines"][3] == {"sku": "S", "qty": 4, "price": "1"}
    assert [(issue.code, issue.path) for issue in ctx.report] == [
        (Code.COERCED_STRING_TO_NUMBER, "/lines/3/qty"), (Code.UNKNOWN_FIELD_DROPPED, "/lines/3/gift")]


def test_a_key_with_pointer_characters_is_escaped_in_the_path():
    ctx = Context(mode=Mode.ROBUST)
    conform({**ORDER, "a/b~c": 1}, ORDER_AVRO, ctx)
    assert [(issue.code, issue.path) for issue in ctx.report] == [(Code.UNKNOWN_FIELD_DROPPED, "/a~1b~0c")]


def test_union_branches_are_tried_in_order_for_an_exact_fit_before_any_coercion():
    shape = Shape(Kind.UNION, branches=(Shape(Kind.NULL), Shape(Kind.INT32), Shape(Kind.DOUBLE), Shape(Kind.STRING)))
    expected = [canonical(None), canonical(5), canonical(float(2**40)), canonical(1.5), canonical("5")]
    for run in (conform, conform_by_walk):
        ctx = Context(mode=Mode.ROBUST)
        assert [canonical(run(v, shape, ctx)) for v in (None, 5, 2**40, 1.5, "5")] == expected
        assert len(ctx.report) == 0
    ctx = Context(mode=Mode.ROBUST)  # no exact fit: the first branch that takes it with a reported coercion
    assert conform_by_walk("5", Shape(Kind.UNION, branches=(Shape(Kind.INT32), Shape(Kind.BOOL))), ctx) == 5
    assert [issue.code for issue in ctx.report] == [Code.COERCED_STRING_TO_NUMBER]


def test_depth_past_the_limit_is_refused_with_the_walks_path():
    tree = Shape(Kind.RECORD, name="Tree")
    tree.fields = [Field("children", Shape(Kind.ARRAY, items=tree), default=NO_DEFAULT)]
    value = {"children": [{"children": [{"children": []}]}]}
    assert conform(value, tree, Context(limits=Limits(max_depth=5))) == value  # a record and an array: 2 levels
    with pytest.raises(ConversionError) as caught:
        conform(value, tree, Context(limits=Limits(max_depth=4)))
    assert (caught.value.code, caught.value.issues[0].path) == (Code.LIMIT_EXCEEDED, "/children/0/children/0/children")


def test_a_branch_past_the_depth_limit_is_the_walks_refusal_not_a_misfit():
    # The walk's strict trial of array<int> raises the limit: no later branch (ANY) may take the value.
    union = Shape(Kind.UNION, branches=(Shape(Kind.ARRAY, items=Shape(Kind.INT32)), Shape(Kind.ANY)))
    record = Shape(Kind.RECORD, name="R", fields=[Field("u", union)])
    check(record, {"u": [1]}, Mode.FRAGILE, 1)
    with pytest.raises(ConversionError) as caught:
        conform({"u": [1]}, record, Context(limits=Limits(max_depth=1)))
    assert (caught.value.code, caught.value.issues[0].path) == (Code.LIMIT_EXCEEDED, "/u/0")
    assert conform({"u": []}, record, Context(limits=Limits(max_depth=1))) == {"u": []}


def test_arrays_of_arrays_at_the_depth_limit_are_refused_as_the_walk_refuses():
    shape = Shape(Kind.ARRAY, items=Shape(Kind.ARRAY, items=Shape(Kind.STRING)))
    for max_depth in (1, 2):
        for value in ([["a"]], [[]], [], [["a"], []]):
            check(shape, value, Mode.FRAGILE, max_depth)
    with pytest.raises(ConversionError) as caught:
        conform([[], ["a"]], shape, Context(limits=Limits(max_depth=1)))
    assert caught.value.issues[0].path == "/1/0"


def test_a_decimal_the_walk_cannot_compare_raises_as_the_walk_does():
    with pytest.raises(decimal.InvalidOperation):
        conform_by_walk(Decimal("sNaN"), Shape(Kind.INT64), Context())
    with pytest.raises(decimal.InvalidOperation):
        conform(Decimal("sNaN"), Shape(Kind.INT64), Context())


def test_shapes_made_by_replace_get_their_own_fast_path():
    import dataclasses

    ints = Shape(Kind.ARRAY, items=Shape(Kind.INT32))
    conform([1], ints, Context())
    strings = dataclasses.replace(ints, items=Shape(Kind.STRING))
    assert strings.conformer is None
    with pytest.raises(ConversionError):
        conform([1], strings, Context())


def test_nan_and_infinity_pass_a_float32_unchanged_as_in_the_walk():
    shape = Shape(Kind.FLOAT)
    for value in (math.inf, -math.inf):
        assert conform(value, shape, Context()) == value
    assert math.isnan(conform(math.nan, shape, Context()))


def test_uuid_json_and_timestamp_forms():
    assert conform(str(uuid.UUID(int=1)), Shape(Kind.UUID), Context()) == uuid.UUID(int=1)
    assert conform(json.loads("1714557600000"), Shape(Kind.TIMESTAMP, unit="millis"), Context()) == dt.datetime(
        2024, 5, 1, 10, tzinfo=dt.timezone.utc)


def test_a_shape_pickles_and_copies_without_its_compiled_conformer():
    import copy
    import pickle

    tree = Shape(Kind.RECORD, name="Tree")
    tree.fields = [Field("children", Shape(Kind.ARRAY, items=tree), default=NO_DEFAULT)]
    value = {"children": [{"children": []}]}
    assert conform(value, tree, Context()) == value and tree.conformer is not None
    for other in (pickle.loads(pickle.dumps(tree)), copy.deepcopy(tree)):
        assert other.conformer is None and other.fields[0].shape.items is other
        assert conform(value, other, Context()) == value
        with pytest.raises(ConversionError):
            conform({"children": [{"leaves": []}]}, other, Context())


def test_a_refusal_does_not_carry_the_fast_paths_give_up_as_its_context():
    with pytest.raises(ConversionError) as caught:
        conform({**ORDER, "id": "seven"}, ORDER_AVRO, Context())
    assert caught.value.__context__ is None or caught.value.__suppress_context__
    with pytest.raises(ConversionError) as caught:
        conform([[1]], Shape(Kind.ARRAY, items=Shape(Kind.ARRAY, items=Shape(Kind.INT32))),
                Context(limits=Limits(max_depth=1)))
    assert caught.value.code is Code.LIMIT_EXCEEDED and caught.value.__context__ is None


def test_a_negative_depth_limit_refuses_even_the_root_as_the_walk_does():
    for run in (conform, conform_by_walk):
        with pytest.raises(ConversionError) as caught:
            run(5, Shape(Kind.INT32), Context(limits=Limits(max_depth=-1)))
        assert (caught.value.code, caught.value.issues[0].path) == (Code.LIMIT_EXCEEDED, "")
