"""JSON ⇄ YAML through the engine: any JSON value survives both ways, in both modes, unreported."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

import convsvc
from convsvc.engine import FormatSpec

# Tricky texts for YAML: words other schemas read as booleans/numbers/nulls, indicators, unicode, blanks.
tricky_text = st.sampled_from([
    "yes", "no", "on", "off", "y", "n", "true", "False", "null", "~", "", " ", "0o17", "017", "0x1F", "1_000",
    "1:20", ".inf", "-.inf", ".nan", "1e3", "+1", "2001-12-14", "- a", "a: b", "#c", "&a", "*a", "!t", "|", ">",
    "'", '"', "%", "@", "`", "---", "...", "a\nb", " lead", "trail ", "tab\there", "é", "😀", "\u2028", "\x85",
])
text = st.text() | tricky_text
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(json_values, st.sampled_from(["fragile", "robust"]))
def test_json_to_yaml_to_json_gives_the_same_value(value, mode):
    to_yaml = convsvc.convert(json.dumps(value).encode(), source="json", target="yaml", mode=mode)
    back = convsvc.convert(to_yaml.payload, source="yaml", target="json", mode=mode)
    assert json.loads(back.payload) == value
    assert len(to_yaml.report) == 0
    # nothing changed; the only note allowed is that integers past 2^53 round in JavaScript readers
    assert [issue.code.name for issue in back.report] in ([], ["PRECISION_LOST"])
    assert all(issue.level.name == "INFO" for issue in back.report)
    assert bool(back.report) == any(abs(n) > 2**53 for n in _integers(value))


def _integers(value):
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _integers(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _integers(item)


@settings(max_examples=150, deadline=None)
@given(st.lists(json_values, max_size=5))
def test_json_lines_to_a_yaml_stream_and_back_keeps_every_document(values):
    lines = b"".join(json.dumps(value).encode() + b"\n" for value in values)
    jsonl = FormatSpec("json", "jsonl")
    stream = convsvc.convert(lines, source=jsonl, target="yaml").payload
    back = convsvc.convert(stream, source="yaml", target=jsonl).payload
    assert [json.loads(line) for line in back.splitlines()] == values
