"""Every fuzz harness replays its seed corpus and every input that once crashed it (regressions/NAME/),
each harness in a child process: a decoder that segfaults again fails this test instead of killing
the test run. The fuzzing itself is opt-in (fuzz/run.py, `make fuzz`); this replay is part of make test."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HARNESSES = ("json", "repair", "yaml", "avro", "protobuf", "xml", "roundtrip")
REGRESSIONS = pathlib.Path(__file__).resolve().parent / "regressions"
REPLAY = """
import pathlib, sys
sys.path.insert(0, sys.argv[1])
harness = __import__("fuzz.fuzz_" + sys.argv[2], fromlist=["test_one_input"])
count = 0
for folder in sys.argv[3:]:
    for path in sorted(pathlib.Path(folder).glob("*")):
        print(path, flush=True)  # the last line names the input if the process dies
        harness.test_one_input(path.read_bytes())
        count += 1
print("replayed", count)
"""


def inputs(name: str) -> list[pathlib.Path]:
    return [folder for folder in (ROOT / "fuzz" / "corpus" / name, REGRESSIONS / name) if folder.is_dir()]


@pytest.mark.parametrize("name", HARNESSES)
def test_the_harness_holds_on_its_seeds_and_past_crashes(name):
    folders = inputs(name)
    expected = sum(1 for folder in folders for _ in folder.iterdir())
    assert expected > 0, f"no seeds for {name}: run fuzz/make_seeds.py"
    done = subprocess.run([sys.executable, "-c", REPLAY, str(ROOT), name, *map(str, folders)], capture_output=True,
                          text=True, timeout=240, cwd=ROOT)
    tail = (done.stdout[-2000:] + done.stderr[-4000:])
    assert done.returncode == 0, f"{name} failed on an input (the last path printed):\n{tail}"
    assert done.stdout.rstrip().endswith(f"replayed {expected}"), tail


def test_the_rapidyaml_segfault_input_is_refused_as_a_syntax_error_in_process():
    # rapidyaml 0.15.2 dies on a node's fourth tag (after a tag that ends its line, or in flow context);
    # the codec routes such payloads to libyaml. Found by fuzz/fuzz_yaml.py (regressions/yaml/).
    from convsvc.formats import yaml_codec
    from convsvc.model import Code, Context, InvalidInput

    for payload in (b"!\n!\n!\n!\x01", b"!a\n!b\n!c\n!d\nx", b"k: !a\n  !b !c\n  !d\n  x", b"[!a\n!b\n!c\n!d\nx]",
                    b"{! ! ! !", b"[! ! ! ! x]", b"{a: !a &x !b !c !d}"):
        with pytest.raises(InvalidInput) as caught:
            yaml_codec.decode(payload, Context())
        assert caught.value.code in (Code.SYNTAX_ERROR, Code.UNSUPPORTED_TAG, Code.INVALID_UTF8)


def test_a_tag_that_ends_its_line_still_reads_as_yaml():
    from convsvc.formats import yaml_codec
    from convsvc.model import Context

    assert yaml_codec.decode(b"--- !!map\na: !!str\n  7\nb: [!!int\n 1]\n", Context()) == [{"a": "7", "b": [1]}]


def test_a_key_starting_with_a_colon_after_an_indentless_sequence_round_trips():
    # rapidyaml refuses `:=y: 1` after `- 1` in a nested mapping (valid YAML); the encoder wrote it plain.
    # Found by fuzz/fuzz_roundtrip.py (regressions/roundtrip/).
    from convsvc.formats import yaml_codec
    from convsvc.model import Context

    value = {"x": {"a": [1], ":=y": 1}}
    written = yaml_codec.encode([value], Context())
    assert b"':=y': 1" in written or b'":=y": 1' in written
    assert yaml_codec.decode(written, Context()) == [value]
    assert yaml_codec.decode(b"x:\n  a:\n  - 1\n  :=y: 1\n", Context()) == [value]


def test_gathering_concatenated_values_counts_against_the_depth_limit():
    # `'' [[...200...]]` repaired to ['', [[...]]] nested 201 deep under max_depth=200: the gathering array
    # was not counted. Found by fuzz/fuzz_repair.py (regressions/repair/).
    from convsvc.formats import json_codec
    from convsvc.model import Context, LimitExceeded, Mode

    deepest = b"[" * 199 + b"1" + b"]" * 199
    value, depth = json_codec.decode(b"'' " + deepest, Context(mode=Mode.ROBUST))[0], 0
    while isinstance(value, list):
        value, depth = value[-1], depth + 1
    assert (value, depth) == (1, 200)  # the gathering array and 199 levels: exactly the limit
    with pytest.raises(LimitExceeded) as caught:
        json_codec.decode(b"'' [" + deepest + b"]", Context(mode=Mode.ROBUST))
    assert caught.value.limit == "max_depth" and caught.value.issues[0].column == 4


def test_repeated_xml_elements_count_against_the_depth_limit():
    # Repeated elements become arrays, a level each: 4 elements deep read as 8 levels of objects and
    # arrays, past max_depth=7 although no element was. Found by fuzz/fuzz_xml.py (its artifact was lost
    # to a timeout signal while libFuzzer wrote it; this is the shape it reported: /a/a/1/a/1/a/a/a).
    from convsvc.formats import xml_codec
    from convsvc.model import Context, LimitExceeded, Limits

    payload = b"<r><a><b/><b><c/><c><d/><d>x</d></c></b></a></r>"
    assert xml_codec.decode(payload, Context(encoding="natural", limits=Limits(max_depth=8)))
    with pytest.raises(LimitExceeded) as caught:
        xml_codec.decode(payload, Context(encoding="natural", limits=Limits(max_depth=7)))
    assert caught.value.limit == "max_depth" and caught.value.issues[0].path == "/r/a/b/1/c/1/d"


def test_a_repeated_field_or_map_counts_against_the_depth_limit():
    # A message at depth max_depth held a list (repeated scalars, or an empty repeated field emitted with
    # emit_defaults) one level past the limit. Found by fuzz/fuzz_protobuf.py (regressions/protobuf/).
    import sys

    sys.path.insert(0, str(ROOT))
    from convsvc.formats import protobuf_codec
    from convsvc.model import Context, LimitExceeded, Limits
    from fuzz.common import protobuf_schema

    def decode(data: bytes, name: str, max_depth: int, **options):
        ctx = Context(encoding="binary", schema=protobuf_schema(name), limits=Limits(max_depth=max_depth),
                      options=options)
        return protobuf_codec.decode(data, ctx)

    data = protobuf_codec.encode([{"r_int64": [1, 2]}], Context(encoding="binary", schema=protobuf_schema()))
    assert decode(data, "Everything", 2) == [{"r_int64": [1, 2]}]
    with pytest.raises(LimitExceeded) as caught:
        decode(data, "Everything", 1)
    assert caught.value.issues[0].path == "/r_int64"
    node = b"\x1a\x00"  # Node{parent_hint: Node{}}: with emit_defaults the inner one shows children: []
    assert decode(node, "Node", 3, emit_defaults="true") == [{"name": "", "children": [],
                                                              "parent_hint": {"name": "", "children": []}}]
    with pytest.raises(LimitExceeded) as caught:
        decode(node, "Node", 2, emit_defaults="true")
    assert caught.value.issues[0].path == "/parent_hint/children"
