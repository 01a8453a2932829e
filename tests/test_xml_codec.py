"""XML: the natural mapping, the W3C XPath 3.1 mapping, and the hardened parser, as a user sees them."""

from __future__ import annotations

import json
import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convsvc
import convsvc.engine
from convsvc.engine import FormatSpec
from convsvc.corpus.suites import cases, judge
from convsvc.corpus.suites.xpath_json import exact_equal as _exact_equal
from convsvc.corpus.targets import InProcessTarget
from convsvc.formats import FORMATS, json_codec, xml_codec

from convsvc.model import Code, Context, InvalidInput, InvalidRequest, LimitExceeded, Limits, Mode, Severity
from tests.conftest import ROOT

CORPUS = ROOT / "corpus" / "xpath-json"
FN = 'xmlns="http://www.w3.org/2005/xpath-functions"'
DECL = b'<?xml version="1.0" encoding="UTF-8"?>'


def context(encoding="natural", mode=Mode.FRAGILE, limits=None, **options) -> Context:
    return Context(mode=mode, limits=limits or Limits(), encoding=encoding, options=options, source_format="json")


def decode(data: bytes, encoding="natural", mode=Mode.ROBUST, limits=None, **options):
    """(value, [(code, path)]) as the codec gives them."""
    ctx = context(encoding, mode, limits, **options)
    (value,) = xml_codec.decode(data, ctx)
    return value, [(issue.code, issue.path) for issue in ctx.report]


def encode(value, encoding="natural", mode=Mode.ROBUST, **options):
    ctx = context(encoding, mode, **options)
    return xml_codec.encode([value], ctx), [(issue.code, issue.path) for issue in ctx.report]


def refusal(data: bytes, encoding="natural", error=InvalidInput, limits=None, **options):
    with pytest.raises(error) as caught:
        xml_codec.decode(data, context(encoding, Mode.ROBUST, limits, **options))
    return caught.value.issues[0]


@pytest.fixture
def xml_registered(monkeypatch):
    """The engine has the XML codec in its table."""
    assert FORMATS["xml"] is xml_codec


# -- natural mapping: decoding ---------------------------------------------------------------------

def test_elements_attributes_and_repeated_elements_decode_to_members_and_arrays():
    value, found = decode(b'<order id="7"><item sku="a">2</item><item sku="b">3</item><note>hi</note></order>')
    assert value == {"order": {"@id": "7", "item": [{"@sku": "a", "#text": "2"}, {"@sku": "b", "#text": "3"}],
                               "note": "hi"}}
    assert found == [(Code.XML_TEXT_NOT_TYPED, "/order/@id")]  # one note for all typed-looking texts


def test_element_text_stays_a_string_and_is_reported_as_info_only():
    ctx = context(mode=Mode.FRAGILE)
    (value,) = xml_codec.decode(b"<a><n>42</n><f>1.5</f><b>true</b><z>007</z></a>", ctx)
    assert value == {"a": {"n": "42", "f": "1.5", "b": "true", "z": "007"}}
    assert [(i.code, i.path, i.level) for i in ctx.report] == [(Code.XML_TEXT_NOT_TYPED, "/a/n", Severity.INFO)]
    assert "3 text" in ctx.report.issues[0].message  # 007 is not a JSON number


def test_empty_elements_nil_whitespace_and_unicode():
    value, _ = decode('<r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><e/><f></f><n xsi:nil="true"/>'
                      '<s>  x  </s><u>żółw 🐢</u><t id="1"></t></r>'.encode())
    assert value == {"r": {"e": "", "f": "", "n": None, "s": "  x  ", "u": "żółw 🐢", "t": {"@id": "1"}}}


def test_cdata_is_text_and_character_references_are_resolved():
    value, found = decode(b"<a>x<![CDATA[<y> & ]]>z &#x1F600; &lt;</a>")
    assert value == {"a": "x<y> & z \U0001F600 <"} and found == []


def test_namespaces_are_clark_names_and_xml_prefix_is_kept():
    value, _ = decode(b'<a:doc xmlns:a="urn:a" xmlns="urn:d" a:id="1" xml:lang="en"><b/><a:c/><c xmlns=""/></a:doc>')
    assert value == {"{urn:a}doc": {"@{urn:a}id": "1", "@xml:lang": "en", "{urn:d}b": "", "{urn:a}c": "", "c": ""}}


def test_whitespace_between_elements_is_layout_and_dropped_silently():
    value, found = decode(b"<a>\n  <b>1</b>\n  <b>2</b>\n</a>\n")
    assert value == {"a": {"b": ["1", "2"]}} and [code for code, _ in found] == [Code.XML_TEXT_NOT_TYPED]


def test_mixed_content_is_refused_in_fragile_and_joined_in_robust():
    data = b"<p>Hello <b>world</b>, again</p>"
    value, found = decode(data)
    assert value == {"p": {"b": "world", "#text": "Hello , again"}}
    assert found == [(Code.XML_MIXED_CONTENT, "/p/#text")]
    assert Code.XML_MIXED_CONTENT.severity is Severity.WARNING  # the engine refuses it in FRAGILE


def test_comments_and_processing_instructions_are_reported_once_per_element_path():
    value, found = decode(b"<!--a--><r><x>a<!--b-->b</x><x><!--c--></x><?pi z?></r><!--d-->")
    assert value == {"r": {"x": ["ab", ""]}}
    assert sorted(found, key=str) == sorted([(Code.XML_COMMENT_DROPPED, "/r/x/0"), (Code.XML_PI_DROPPED, "/r"),
                                             (Code.XML_COMMENT_DROPPED, "/r")], key=str)


def test_interleaved_siblings_lose_their_order_and_say_so():
    value, found = decode(b"<r><a>1</a><b>2</b><a>3</a></r>")
    assert value == {"r": {"a": ["1", "3"], "b": "2"}}
    assert (Code.XML_SIBLING_ORDER_LOST, "/r/a") in found


def test_single_element_repeated_elsewhere_is_reported_as_a_guess():
    value, found = decode(b"<r><o><i>1</i><i>2</i></o><o><i>3</i></o></r>")
    assert value == {"r": {"o": [{"i": ["1", "2"]}, {"i": "3"}]}}
    assert (Code.XML_ARRAY_GUESSED, "/r/o/1/i") in found
    assert Code.XML_ARRAY_GUESSED.severity is Severity.INFO


def test_root_option_unwraps_the_root_element():
    assert decode(b"<doc><a>1</a></doc>", root="doc")[0] == {"a": "1"}
    assert decode(b"<doc>text</doc>", root="doc")[0] == "text"


def test_other_declared_encodings_are_transcoded_and_utf16_is_read():
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>'.encode("latin-1")
    assert decode(latin)[0] == {"a": "é"}
    assert decode('<a>ż</a>'.encode("utf-16"))[0] == {"a": "ż"}
    assert refusal(b'<?xml version="1.0" encoding="x-nonsense"?><a/>').code is Code.SYNTAX_ERROR


# -- natural mapping: encoding ---------------------------------------------------------------------

def test_objects_arrays_attributes_and_text_encode_to_exact_bytes():
    value = {"order": {"@id": "7", "item": [{"@sku": "a", "#text": "2"}, {"@sku": "b", "#text": "3"}], "note": "hi"}}
    assert encode(value) == (DECL + b'\n<order id="7"><item sku="a">2</item><item sku="b">3</item>'
                             b"<note>hi</note></order>", [])


def test_null_is_written_with_xsi_nil_and_empty_string_as_an_empty_element():
    out, found = encode({"r": {"n": None, "e": "", "s": "a<b&c>d\r\n"}})
    assert out == (DECL + b'\n<r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><n xsi:nil="true"/><e/>'
                   b"<s>a&lt;b&amp;c&gt;d&#13;\n</s></r>")
    assert found == []


def test_numbers_and_booleans_become_text_reported_once_as_info():
    out, found = encode({"r": {"i": 12345678901234567890, "f": 2.5, "t": True, "@n": 1e16}})
    assert out == DECL + b'\n<r n="1e+16"><i>12345678901234567890</i><f>2.5</f><t>true</t></r>'
    assert found == [(Code.XML_TYPE_AS_TEXT, "/r/@n")]


def test_namespaced_keys_get_prefixes_declared_on_the_root():
    out, _ = encode({"{urn:a}doc": {"@{urn:b}id": "1", "@xml:lang": "en", "{urn:a}x": "1", "y": "2"}})
    assert out == (DECL + b'\n<ns0:doc xmlns:ns0="urn:a" xmlns:ns1="urn:b" ns1:id="1" xml:lang="en"><ns0:x>1</ns0:x>'
                   b"<y>2</y></ns0:doc>")
    assert decode(out)[0] == {"{urn:a}doc": {"@{urn:b}id": "1", "@xml:lang": "en", "{urn:a}x": "1", "y": "2"}}


def test_root_option_and_added_root():
    assert encode({"a": 1, "b": 2}, root="doc")[0] == DECL + b"\n<doc><a>1</a><b>2</b></doc>"
    out, found = encode({"a": 1, "b": 2})
    assert out == DECL + b"\n<root><a>1</a><b>2</b></root>"
    assert (Code.XML_ROOT_ADDED, "") in found


def test_indent_option_indents_element_content_only():
    out, _ = encode({"a": {"b": {"c": "x y"}, "d": ["1", "2"], "m": {"#text": "t", "e": "1"}}}, indent="2")
    assert out.decode() == ('<?xml version="1.0" encoding="UTF-8"?>\n<a>\n  <b>\n    <c>x y</c>\n  </b>\n'
                            '  <d>1</d>\n  <d>2</d>\n  <m>t<e>1</e></m>\n</a>')


def test_invalid_names_are_escaped_and_reported():
    out, found = encode({"r": {"a b": 1, "1st": 2, "x_y": 3, "": 4}})
    assert out == DECL + b"\n<r><a_x0020_b>1</a_x0020_b><_x0031_st>2</_x0031_st><x_y>3</x_y><_>4</_></r>"
    assert [(code, path) for code, path in found if code is Code.XML_NAME_ESCAPED] == [
        (Code.XML_NAME_ESCAPED, "/r/a b"), (Code.XML_NAME_ESCAPED, "/r/1st"), (Code.XML_NAME_ESCAPED, "/r/")]


def test_invalid_names_are_refused_in_fragile_through_the_engine(xml_registered):
    with pytest.raises(InvalidInput) as caught:
        convsvc.convert(b'{"r": {"a b": "x", "ok": "y", "c:d": "z"}}', source="json", target="xml")
    assert [(i.code, i.path) for i in caught.value.issues] == [
        (Code.XML_NAME_ESCAPED, "/r/a b"), (Code.XML_NAME_ESCAPED, "/r/c:d")]


def test_values_that_cannot_round_trip_are_reported_with_their_paths():
    out, found = encode({"r": {"empty": [], "one": ["x"], "nested": [["a", "b"]], "obj": {}, "@bad": [1],
                               "ctl": "a\x00b"}})
    assert out == DECL + "\n<r><one>x</one><nested><item>a</item><item>b</item></nested><obj/><ctl>a\ufffdb</ctl></r>".encode()
    assert sorted(found, key=str) == sorted([
        (Code.XML_VALUE_DROPPED, "/r/@bad"), (Code.XML_EMPTY_CONTAINER, "/r/empty"),
        (Code.XML_ARRAY_OF_ONE, "/r/one"), (Code.XML_ARRAY_OF_ONE, "/r/nested"),
        (Code.XML_ANONYMOUS_ARRAY, "/r/nested/0"),
        (Code.XML_EMPTY_CONTAINER, "/r/obj"), (Code.XML_CHARACTER_REPLACED, "/r/ctl")], key=str)
    assert all(Code[name].severity is Severity.WARNING for name in
               ("XML_VALUE_DROPPED", "XML_EMPTY_CONTAINER", "XML_ARRAY_OF_ONE", "XML_ANONYMOUS_ARRAY",
                "XML_CHARACTER_REPLACED"))


def test_invalid_option_values_are_invalid_requests():
    with pytest.raises(InvalidRequest):
        encode({"a": 1}, indent="4")
    with pytest.raises(InvalidRequest):
        encode({"a": 1}, root="not a name")


# -- natural mapping: round trips --------------------------------------------------------------------

_NAMES = st.from_regex(r"[A-Za-z_\u00c0-\u00d6][A-Za-z0-9_.\-\u00b7\u00c0-\u00d6]{0,8}", fullmatch=True).filter(
    lambda name: "_x" not in name)
_XML_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff",
                                  min_codepoint=0x09).filter(lambda c: c in "\t\n\r" or c >= " "), max_size=12)
_SCALARS = st.none() | st.booleans() | st.integers() | _XML_TEXT | st.floats(allow_nan=False, allow_infinity=False)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_NAMES, inner, max_size=4),
                       max_leaves=20)


def _text_of(value):
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        return json_codec.encode([value], context("json")).decode()
    return str(value)


def _natural_image(value):
    """What the natural mapping reads back from the XML written for `value` (docs/xml-mapping.md,
    'What does not round-trip'): text for scalars, {} as "", arrays by their length."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):  # an anonymous array: <item> children
        return _natural_image({"item": value})
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(item, list):
                if len(item) == 1:
                    out[key] = _natural_image(item[0])
                elif item:
                    out[key] = [_natural_image(entry) for entry in item]
            else:
                out[key] = _natural_image(item)
        return out or ""
    return _text_of(value)


def _expected_codes(value, top=True):
    codes = set()
    if isinstance(value, dict):
        if not value and not top:
            codes.add(Code.XML_EMPTY_CONTAINER)
        for item in value.values():
            if isinstance(item, list):
                codes.add(Code.XML_EMPTY_CONTAINER if not item else Code.XML_ARRAY_OF_ONE if len(item) == 1 else None)
                for entry in item:
                    if isinstance(entry, list):
                        codes.add(Code.XML_ANONYMOUS_ARRAY)
                    codes |= _expected_codes(entry, False)
            else:
                codes |= _expected_codes(item, False)
    elif isinstance(value, list):
        codes.add(Code.XML_ANONYMOUS_ARRAY)
        for entry in value:
            codes |= _expected_codes(entry, False)
    elif value is not None and not isinstance(value, str):
        codes.add(Code.XML_TYPE_AS_TEXT)
    return codes - {None}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_NAMES, _SCALARS | st.dictionaries(_NAMES, _VALUES, max_size=4))
def test_natural_round_trip_reads_back_the_documented_image(name, value):
    document = {name: value}
    out, found = encode(document)
    assert {code for code, _ in found} == _expected_codes(document)
    back, _ = decode(out)
    assert back == {name: _natural_image(value)}


# -- the XPath 3.1 mapping: the corpus and losslessness ------------------------------------------------

_CASES = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
_CORPUS_CASES = cases("xpath-json")  # judged by convsvc/corpus/suites/xpath_json.py, as `convsvc corpus run` does
_ENGINE = InProcessTarget()


def test_xpath_corpus_holds_at_least_thirty_cases_in_three_directions():
    assert len(_CASES) >= 30
    assert {case["direction"] for case in _CASES} == {"both", "decode", "error"}
    # one case per entry, and the `both` entries encode back as a case of their own
    assert len(_CORPUS_CASES) == len(_CASES) + sum(case["direction"] == "both" for case in _CASES)


@pytest.mark.parametrize("case", _CORPUS_CASES, ids=[case.id.split("/", 1)[1] for case in _CORPUS_CASES])
def test_xpath_corpus_case(case):
    judgement = judge(case, _ENGINE)
    assert judgement.passed, judgement.describe()


def test_duplicate_keys_in_robust_keep_the_last_value_and_are_reported():
    value, found = decode(f'<map {FN}><number key="a">1</number><number key="a">2</number></map>'.encode(), "xpath")
    assert value == {"a": 2} and found == [(Code.DUPLICATE_KEY, "/a")]


_JSON_KEYS = st.text(max_size=8)
_JSON_SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(10**40), max_value=10**40)
                 | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
_JSON_VALUES = st.recursive(_JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                            | st.dictionaries(_JSON_KEYS, inner, max_size=4), max_leaves=25)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON_VALUES, st.sampled_from(["0", "2"]))
def test_xpath_mapping_is_lossless_for_every_json_value(value, indent):
    out, found = encode(value, "xpath", Mode.FRAGILE, indent=indent)
    assert found == []
    back, found = decode(out, "xpath", Mode.FRAGILE)
    assert _exact_equal(back, value) and found == []


def test_xpath_non_finite_numbers_and_binary_are_reported():
    out, found = encode({"n": math.nan, "b": b"\x00\x01"}, "xpath")
    assert out == DECL + f'\n<map {FN}><null key="n"/><string key="b">AAE=</string></map>'.encode()
    assert found == [(Code.NON_FINITE_NUMBER, "/n"), (Code.BINARY_AS_BASE64, "/b")]


def test_json_to_xpath_xml_and_back_through_the_engine(xml_registered):
    payload = b'{"a":[1,2.5,"x\\u0000",true,null,{}],"big":123456789012345678901234567890}'
    xml = convsvc.convert(payload, source="json", target=FormatSpec("xml", "xpath")).payload
    assert convsvc.convert(xml, source=FormatSpec("xml", "xpath"), target="json").payload == payload


# -- hardening: every attack refused fast, with the right code or limit ---------------------------------

def _timed_refusal(data: bytes, encoding="natural", error=InvalidInput, limits=None):
    start = time.perf_counter()
    issue = refusal(data, encoding, error, limits)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"took {elapsed:.3f} s"
    return issue


def _billion_laughs() -> bytes:
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]><lolz>&lol9;</lolz>'.encode()


@pytest.mark.parametrize("encoding", ["natural", "xpath"])
def test_billion_laughs_is_refused_before_any_expansion(encoding):
    issue = _timed_refusal(_billion_laughs(), encoding)
    assert issue.code is Code.XML_DTD_FORBIDDEN
    assert "10 internal entities" in issue.message and "billion laughs" in issue.message
    assert (issue.line, issue.column) == (1, 22)


def test_xxe_over_file_is_refused_naming_the_entity(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    issue = _timed_refusal(f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]><r>&xxe;</r>'.encode())
    assert issue.code is Code.XML_DTD_FORBIDDEN
    assert f"external entity xxe (SYSTEM 'file://{secret}')" in issue.message and "TOPSECRET" not in issue.message


def test_xxe_over_http_is_refused_naming_the_url():
    issue = _timed_refusal(b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]><r>&xxe;</r>')
    assert issue.code is Code.XML_DTD_FORBIDDEN and "http://127.0.0.1:9/x" in issue.message


def test_external_dtd_is_refused():
    issue = _timed_refusal(b'<?xml version="1.0"?>\n<!-- c --><!DOCTYPE r PUBLIC "-//X//Y" "http://127.0.0.1:9/r.dtd"><r/>')
    assert issue.code is Code.XML_DTD_FORBIDDEN and "external DTD 'http://127.0.0.1:9/r.dtd'" in issue.message
    assert (issue.line, issue.column) == (2, 11)


def test_parameter_entities_are_refused():
    issue = _timed_refusal(b'<!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><r/>')
    assert issue.code is Code.XML_DTD_FORBIDDEN and "external parameter entity %p" in issue.message


def test_undeclared_entity_is_a_syntax_error():
    issue = _timed_refusal(b"<r>&xxe;</r>")
    assert issue.code is Code.SYNTAX_ERROR and "xxe" in issue.message


@pytest.mark.parametrize("encoding", ["natural", "xpath"])
def test_hundred_thousand_deep_nesting_is_refused_quickly(encoding):
    data = b"<a>" * 100_000 + b"</a>" * 100_000
    with pytest.raises(LimitExceeded) as caught:
        start = time.perf_counter()
        xml_codec.decode(data, context(encoding))
    assert time.perf_counter() - start < 1.0
    assert caught.value.limit == "max_depth"


def test_nesting_past_max_depth_but_within_the_parser_cap_is_refused_with_the_path():
    data = b"<a>" * 30 + b"</a>" * 30
    with pytest.raises(LimitExceeded) as caught:
        xml_codec.decode(data, context(limits=Limits(max_depth=20)))
    issue = caught.value.issues[0]
    assert caught.value.limit == "max_depth" and issue.path == "/a" + "/a" * 20 and issue.column == 61


def test_huge_attribute_is_refused_by_the_string_limit():
    data = b'<a b="' + b"x" * (9 * 1024 * 1024) + b'"/>'
    with pytest.raises(LimitExceeded) as caught:
        start = time.perf_counter()
        xml_codec.decode(data, context())
    assert time.perf_counter() - start < 1.0
    assert caught.value.limit == "max_string_bytes" and caught.value.issues[0].path == "/a/@b"


@pytest.mark.parametrize("size", [9 * 1024 * 1024, 10 * 1024 * 1024])
def test_ten_megabyte_text_is_refused_by_the_string_limit(size):
    data = b"<a>" + b"x" * size + b"</a>"
    with pytest.raises(LimitExceeded) as caught:
        start = time.perf_counter()
        xml_codec.decode(data, context())
    assert time.perf_counter() - start < 1.0
    assert caught.value.limit == "max_string_bytes"


def test_message_size_limit_is_checked_first():
    with pytest.raises(LimitExceeded) as caught:
        xml_codec.decode(b"<a>" + b"x" * 2000 + b"</a>", context(limits=Limits(max_message_bytes=1000)))
    assert caught.value.limit == "max_message_bytes"


def test_long_xpath_number_is_refused_by_the_number_limit():
    with pytest.raises(LimitExceeded) as caught:
        xml_codec.decode(f'<number {FN}>{"9" * 1001}</number>'.encode(), context("xpath"))
    assert caught.value.limit == "max_number_chars"


# -- positions: line:column and JSON Pointers --------------------------------------------------------

def test_syntax_errors_carry_byte_offset_and_line_column_past_multibyte_text():
    data = "<a>\n  <b>żółw</b>\n  <c>ééé<</c>\n</a>".encode()
    issue = refusal(data)
    assert issue.code is Code.SYNTAX_ERROR
    assert (issue.line, issue.column) == (3, 10)
    assert data[issue.offset - 1:issue.offset + 3] == b"<</c"  # the name libxml2 expected after the first <


def test_invalid_utf8_is_refused_at_its_byte():
    issue = refusal(b"<a>ok\xff</a>")
    assert (issue.code, issue.offset, issue.line, issue.column) == (Code.INVALID_UTF8, 5, 1, 6)


def test_empty_payload_holds_no_document():
    assert refusal(b"").code is Code.NO_DOCUMENT
    assert refusal(b"  <!-- only a comment -->").code is Code.NO_DOCUMENT


def test_xpath_structure_errors_carry_the_json_pointer_and_the_element_position():
    data = f'<map {FN}>\n  <array key="list">\n    <number>1</number><number>x</number>\n  </array>\n</map>'.encode()
    issue = refusal(data, "xpath")
    assert (issue.code, issue.path, issue.line, issue.column) == (Code.XML_JSON_INVALID, "/list/1", 3, 23)


# -- streams: one document per line -------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["natural", "xpath"])
def test_records_are_one_line_each_and_split_back_in_one_byte_chunks(encoding):
    values = [{"r": {"t": "line 1\nline 2\r\n", "n": "1"}}, {"r": {"t": "", "n": "2"}}]
    ctx = context(encoding, indent="2")
    stream = b"".join(xml_codec.encode_record(value, ctx) for value in values)
    assert stream.count(b"\n") == 2
    splitter = xml_codec.record_splitter(ctx)
    records = [record for byte in stream for record in splitter.feed(bytes([byte]))] + splitter.finish()
    assert [xml_codec.decode(record, ctx)[0] for record in records] == values


def test_an_endless_record_hits_the_message_limit():
    splitter = xml_codec.record_splitter(context(limits=Limits(max_message_bytes=100)))
    with pytest.raises(LimitExceeded):
        splitter.feed(b"<a>" + b"x" * 200)


def test_stream_conversion_through_the_engine(xml_registered):
    stream = convsvc.engine.Engine().open_stream(FormatSpec("json", "jsonl"), FormatSpec("xml", "xpath"), Mode.FRAGILE)
    records = stream.feed_chunk(b'{"a":1}\n[true]\n') + stream.finish()
    assert [record.payload for record in records] == [
        DECL + f'<map {FN}><number key="a">1</number></map>\n'.encode(),
        DECL + f'<array {FN}><boolean>true</boolean></array>\n'.encode()]


# -- with a schema: arrays and text types come from the Shape ------------------------------------------

def test_a_schema_decides_arrays_and_types_of_text():
    from convsvc.schemas import SchemaSource, compile_schema

    schema = compile_schema(SchemaSource(type="avro", text=json.dumps({
        "type": "record", "name": "Order", "fields": [
            {"name": "id", "type": "long"}, {"name": "paid", "type": "boolean"},
            {"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "Item", "fields": [
                {"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}]}}},
            {"name": "price", "type": ["null", "double"]}, {"name": "code", "type": "string"}]})))
    ctx = context(root="order")
    ctx.schema = schema
    data = b'<order id="7"><paid>1</paid><items><sku>a</sku><qty>2</qty></items><price/><code>007</code></order>'
    (value,) = xml_codec.decode(data, ctx)
    assert value == {"id": 7, "paid": True, "items": [{"sku": "a", "qty": 2}], "price": None, "code": "007"}
    assert list(ctx.report) == []
    ctx = context(root="order")
    ctx.schema = schema
    assert xml_codec.encode([value], ctx) == (DECL + b'\n<order xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                                              b"<id>7</id><paid>true</paid><items><sku>a</sku><qty>2</qty></items>"
                                              b'<price xsi:nil="true"/><code>007</code></order>')
    assert list(ctx.report) == []
