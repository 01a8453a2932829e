"""The tolerant JSON repairer (ROBUST mode): corpus/repair cases, JSONTestSuite, positions, limits, properties."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import time
import types

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convsvc.corpus.suites import cases, judge
from convsvc.corpus.targets import InProcessTarget
from convsvc.formats.repair import MAX_ISSUES_PER_CODE, repair
from convsvc.model import (
    Cancelled,
    CancelToken,
    Code,
    Context,
    ConversionError,
    InvalidInput,
    LimitExceeded,
    Limits,
    Mode,
)
from tests.conftest import corpora_root

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "corpus" / "repair"
CASES = sorted(path.name[: -len(".in")] for path in CORPUS.glob("*.in"))
SUITE = corpora_root() / "JSONTestSuite" / "test_parsing"
SUITE_FILES = sorted(SUITE.glob("*.json"))


def run(data: bytes | str, limits: Limits | None = None) -> tuple[object, list]:
    """Repair `data` in a fresh ROBUST context: (value, issues)."""
    ctx = Context(mode=Mode.ROBUST, limits=limits or Limits())
    if isinstance(data, str):
        data = data.encode("utf-8")
    value = repair(data, ctx)
    return value, list(ctx.report)


def loose_limits(**changes: int) -> types.SimpleNamespace:
    """Limits past what the Limits class accepts (depth 254, 4300 digits): the repairer itself has no such bound."""
    values = {field.name: getattr(Limits(), field.name) for field in dataclasses.fields(Limits)}
    return types.SimpleNamespace(**{**values, **changes})


def canonical(value: object) -> str:
    """Text that tells 1, 1.0 and true apart (== does not) and keeps key order."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


# -- the corpus ------------------------------------------------------------------------------------

CORPUS_CASES = cases("repair")  # judged by convsvc/corpus/suites/repair.py, as `convsvc corpus run` does


def test_corpus_has_enough_cases():
    assert len(CASES) >= 80
    assert [case.id for case in CORPUS_CASES] == [f"repair/{name}" for name in CASES]


@pytest.mark.parametrize("case", CORPUS_CASES, ids=CASES)
def test_corpus_case_repairs_to_its_expected_value(case):
    judgement = judge(case, InProcessTarget())
    assert judgement.passed, judgement.describe()


def where(issues: list) -> list[tuple]:
    return [(issue.code.name, issue.path, issue.line, issue.column) for issue in issues]


def test_positions_and_pointers_of_a_js_object_literal():
    _, issues = run((CORPUS / "js_object_literal.in").read_bytes())
    assert where(issues) == [
        ("JSON_UNQUOTED_KEY", "/name", 2, 3),
        ("JSON_SINGLE_QUOTES", "/name", 2, 9),
        ("JSON_UNQUOTED_KEY", "/version", 3, 3),
        ("JSON_COMMENT", "", 4, 3),
        ("JSON_UNQUOTED_KEY", "/features", 5, 3),
        ("JSON_SINGLE_QUOTES", "/features/0", 5, 14),
        ("JSON_SINGLE_QUOTES", "/features/1", 5, 24),
        ("JSON_TRAILING_COMMA", "/features", 5, 33),
        ("JSON_UNQUOTED_KEY", "/enabled", 6, 3),
        ("JSON_TRAILING_COMMA", "", 6, 16),
    ]


def test_positions_of_an_llm_answer_with_prose_and_fence():
    _, issues = run((CORPUS / "llm_prose_and_fence.in").read_bytes())
    assert where(issues) == [
        ("JSON_GARBAGE", "", 1, 1),
        ("JSON_CODE_FENCE", "", 3, 1),
        ("JSON_GARBAGE", "", 10, 1),
    ]


def test_positions_count_characters_and_offsets_count_bytes():
    data = '{"\u00e9t\u00e9": [1 2], "\U0001F600": tru'.encode()
    value, issues = run(data)
    assert value == {"\u00e9t\u00e9": [1, 2], "\U0001F600": True}
    missing_comma, literal, truncated = issues
    assert (missing_comma.code, missing_comma.path, missing_comma.column) == (Code.JSON_MISSING_COMMA, "/\u00e9t\u00e9/1", 12)
    assert missing_comma.offset == data.index(b"2]")
    assert (literal.code, literal.path, literal.column, literal.offset) == (Code.JSON_TRUNCATED, "/\U0001F600", 21,
                                                                            data.index(b"tru"))
    assert (truncated.path, truncated.column, truncated.offset) == ("", 24, len(data))


def test_pointer_tokens_are_escaped_and_paths_follow_concatenated_values():
    value, issues = run('{"a/b": {"c~d": [1,]}}\n{x: 1}')
    assert value == [{"a/b": {"c~d": [1]}}, {"x": 1}]
    assert where(issues) == [
        ("JSON_TRAILING_COMMA", "/0/a~1b/c~0d", 1, 19),
        ("JSON_CONCATENATED_VALUES", "", 2, 1),
        ("JSON_UNQUOTED_KEY", "/1/x", 2, 2),
    ]


def test_duplicate_key_keeps_the_last_value_and_points_at_the_repeated_key():
    value, issues = run('{"a": {"k": 1, "k": 2}}')
    assert value == {"a": {"k": 2}}
    assert where(issues) == [("DUPLICATE_KEY", "/a/k", 1, 16)]


# -- valid JSON is never altered -------------------------------------------------------------------

def suite_files(prefix: str) -> list[pathlib.Path]:
    return [path for path in SUITE_FILES if path.name.startswith(prefix)]


needs_suite = pytest.mark.skipif(not SUITE_FILES, reason=f"JSONTestSuite not found at {SUITE}")


@needs_suite
@pytest.mark.timeout(60)
def test_every_y_file_of_json_test_suite_is_returned_unchanged_with_nothing_noted():
    for path in suite_files("y_"):
        data = path.read_bytes()
        value, issues = run(data)
        assert canonical(value) == canonical(json.loads(data)), path.name
        if path.name.startswith("y_object_duplicated_key"):
            assert [issue.code for issue in issues] == [Code.DUPLICATE_KEY], path.name
        else:
            assert issues == [], path.name


@needs_suite
@pytest.mark.timeout(60)
def test_every_n_file_of_json_test_suite_is_repaired_with_a_note_or_refused():
    for path in suite_files("n_"):
        started = time.perf_counter()
        try:
            value, issues = run(path.read_bytes())
        except ConversionError as error:
            assert error.issues[0].offset is not None or error.code is Code.LIMIT_EXCEEDED, path.name
        else:
            assert issues, f"{path.name} was accepted without any issue"
            canonical(value).encode("utf-8")
        assert time.perf_counter() - started < 2, path.name


@needs_suite
def test_i_files_of_json_test_suite_never_fail_unexpectedly():
    for path in suite_files("i_"):
        try:
            value, _ = run(path.read_bytes())
        except ConversionError:
            continue
        canonical(value).encode("utf-8")


# -- refusals and limits ---------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "code"), [
    (b"", Code.NO_DOCUMENT),
    (b"   \n", Code.NO_DOCUMENT),
    (b"\xef\xbb\xbf", Code.NO_DOCUMENT),
    (b"// only a comment\n", Code.NO_DOCUMENT),
    (b"hello world", Code.SYNTAX_ERROR),
    (b"]", Code.SYNTAX_ERROR),
    (b"*", Code.SYNTAX_ERROR),
    (b"```json\n```\n", Code.SYNTAX_ERROR),  # a second fence before any value once looped forever
])
def test_input_with_nothing_recoverable_is_refused(data, code):
    with pytest.raises(InvalidInput) as caught:
        run(data)
    assert caught.value.code is code
    assert caught.value.issues[0].line is not None


def test_invalid_utf8_is_refused_at_its_byte_as_in_fragile_mode():
    with pytest.raises(InvalidInput) as caught:
        run(b"{'name': 'Jos\xe9',}")
    issue = caught.value.issues[0]
    assert (issue.code, issue.offset, issue.line, issue.column) == (Code.INVALID_UTF8, 13, 1, 14)


def test_a_lone_surrogate_escape_is_refused_at_its_string():
    with pytest.raises(InvalidInput) as caught:
        run('{a: ["ok", "x\\ud800y",]}')
    issue = caught.value.issues[0]
    assert (issue.code, issue.path, issue.column) == (Code.LONE_SURROGATE, "/a/1", 14)


def test_a_number_beyond_a_double_is_refused():
    with pytest.raises(InvalidInput) as caught:
        run("{'a': [1e400]}")
    assert caught.value.code is Code.NUMBER_OUT_OF_RANGE
    assert caught.value.issues[0].path == "/a/0"


@pytest.mark.timeout(20)
def test_100000_deep_nesting_is_refused_by_the_depth_limit_without_recursion():
    for data in (b"[" * 100_000, b'{"a":' * 100_000, b"[{'a': " * 50_000):
        with pytest.raises(LimitExceeded) as caught:
            run(data)
        assert caught.value.limit == "max_depth"


@pytest.mark.timeout(20)
def test_deep_nesting_within_a_raised_limit_is_parsed_with_an_explicit_stack():
    depth = 100_000
    value, issues = run(b"[" * depth + b"]" * depth, loose_limits(max_depth=depth))
    assert issues == []
    for _ in range(depth - 1):
        (value,) = value
    assert value == []


def test_depth_limit_counts_the_outermost_container_as_one():
    limits = Limits(max_depth=3)
    assert run("[[[1]]]", limits)[0] == [[[1]]]
    with pytest.raises(LimitExceeded):
        run("[[[[1]]]]", limits)


def test_string_number_and_message_limits():
    limits = Limits(max_string_bytes=10, max_number_chars=5, max_message_bytes=100)
    assert run("['0123456789', 12345, \"\u00e9\u00e9\u00e9\u00e9\u00e9\"]", limits)[0] == ["0123456789", 12345, "\u00e9" * 5]
    cases = {
        "[\"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\"]": "max_string_bytes",  # 12 bytes in the input
        "['01234567890']": "max_string_bytes",
        "{abcdefghijk: 1}": "max_string_bytes",
        "[hello world again]": "max_string_bytes",
        "[123456]": "max_number_chars",
        "[1.2345]": "max_number_chars",
        "[" + "1," * 60 + "]": "max_message_bytes",
    }
    for data, limit in cases.items():
        with pytest.raises(LimitExceeded) as caught:
            run(data, limits)
        assert caught.value.limit == limit, data


def test_integers_stay_exact_past_cpython_digit_limit():
    digits = "9" * 5000
    value, issues = run(f"[{digits},]", loose_limits(max_number_chars=6000))
    assert value == [10**5000 - 1] and [issue.code for issue in issues] == [Code.JSON_TRAILING_COMMA]


def test_repeated_repairs_are_listed_up_to_a_cap_then_summarised():
    value, issues = run("[" + "[1,]," * (MAX_ISSUES_PER_CODE + 50) + "]")
    assert len(value) == MAX_ISSUES_PER_CODE + 50
    assert len(issues) == MAX_ISSUES_PER_CODE + 1
    assert issues[-1].message.startswith("51 more JSON_TRAILING_COMMA")


@pytest.mark.timeout(20)
def test_stray_quote_heuristics_stay_linear_on_one_long_line():
    started = time.perf_counter()
    value, _ = run("[" + '"a"b, ' * 20_000 + "]")  # every closing quote looks stray; none is
    assert value == ["a", "b"] * 20_000
    value, _ = run('["' + 'x"y ' * 20_000 + 'z"]')  # every quote but the last is stray
    assert value == ['x"y ' * 20_000 + "z"]
    assert time.perf_counter() - started < 5


def test_a_long_repair_stops_when_the_caller_gives_up():
    ctx = Context(mode=Mode.ROBUST, cancel=CancelToken())
    ctx.cancel.cancel()
    with pytest.raises(Cancelled):
        repair(b"[" + b"{a: 1}," * 400_000 + b"]", ctx)
    with pytest.raises(Cancelled):
        repair(b"{a: 1}\n" * 400_000, ctx)


# -- properties ------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)
STYLES = [
    {},
    {"separators": (",", ":")},
    {"indent": 2},
    {"indent": "\t", "ensure_ascii": False},
    {"ensure_ascii": False, "separators": (", ", " : ")},
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, style=st.sampled_from(STYLES))
def test_any_valid_json_comes_back_unchanged_with_nothing_noted(value, style):
    text = json.dumps(value, **style)
    repaired, issues = run(text)
    assert canonical(repaired) == canonical(value)
    assert issues == []


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_repair_or_raise_only_conversion_errors(data):
    try:
        value, _ = run(data)
    except ConversionError:
        return
    canonical(value).encode("utf-8")  # plain JSON-compatible data, no lone surrogates


NOISE = ['"', "'", ",", ":", "{", "}", "[", "]", "\\", "/", "*", "#", "\n", " ", "`", "a", "1", "-", ".", "e",
         "\u201c", "\u2019", "\x00", "\ufeff", "```json", "//", "/*", "True", "NaN", "cb("]


@st.composite
def mutated_json(draw) -> bytes:
    text = json.dumps(draw(json_values), ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1])))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        where = draw(st.integers(min_value=0, max_value=len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "cut"]))
        noise = draw(st.sampled_from(NOISE))
        if action == "insert":
            text = text[:where] + noise + text[where:]
        elif action == "delete":
            text = text[:where] + text[where + 1:]
        elif action == "replace":
            text = text[:where] + noise + text[where + 1:]
        else:
            text = text[:where]
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_json())
def test_mutated_json_repairs_or_raises_only_conversion_errors(data):
    try:
        value, issues = run(data)
    except ConversionError:
        return
    canonical(value).encode("utf-8")
    for issue in issues:
        assert issue.offset is not None and issue.line is not None
