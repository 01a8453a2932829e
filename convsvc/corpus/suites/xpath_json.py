"""corpus/xpath-json/: the W3C XPath 3.1 `json-to-xml` / `xml-to-json` mapping, from the spec's examples.

Per manifest entry (corpus/xpath-json/README.md): `NAME` decodes NAME.xml (XML, xpath encoding) to JSON
in FRAGILE with nothing reported about the XML (the JSON writer's INFO note on integers past 2^53 aside),
equal to NAME.json exactly (1, 1.0 and true differ, as do 0.0 and -0.0; key order counts); for `both`,
`NAME:encode` encodes NAME.json back to NAME.xml byte for byte, nothing reported; an `error` case is
refused (InvalidInput) with its code at its JSON Pointer, placed at a line:column.
"""

from __future__ import annotations

import json
import math
import pathlib

from convsvc.corpus.model import Case, Judgement, Suite, SuiteUnavailable, Where
from convsvc.corpus.suites._judging import about_the_input, request, show, show_bytes, verdict
from convsvc.engine import FormatSpec
from convsvc.model import Context, Mode

NAME = "xpath-json"
DESCRIPTION = "W3C XPath 3.1 json-to-xml / xml-to-json mapping cases from the spec's examples and rules"
ORDER = 40

XPATH = FormatSpec("xml", "xpath")


def discover(suite: Suite, where: Where) -> list[Case]:
    folder = where.corpus / "xpath-json"
    manifest = folder / "manifest.json"
    if not manifest.exists():
        raise SuiteUnavailable(f"no {manifest}")
    module = __name__.rsplit(".", 1)[1]
    cases = []
    for entry in json.loads(manifest.read_text(encoding="utf-8")):
        data = {"folder": str(folder), "entry": entry}
        cases.append(Case(id=f"{NAME}/{entry['name']}", suite=suite.name, module=module, pair=("xml", "json"),
                          data={**data, "aspect": "decode"}, title=entry.get("source", "")))
        if entry["direction"] == "both":
            cases.append(Case(id=f"{NAME}/{entry['name']}:encode", suite=suite.name, module=module,
                              pair=("json", "xml"), data={**data, "aspect": "encode"}, title=entry.get("source", "")))
    return cases


def exact_equal(left, right) -> bool:
    """Equality that also tells 1 from 1.0 from True and 0.0 from -0.0, and keeps key order."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(exact_equal(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(exact_equal(a, b) for a, b in zip(left, right))
    if isinstance(left, float):
        return left == right and math.copysign(1, left) == math.copysign(1, right)
    return left == right


def _json_value(data: bytes):
    from convsvc.formats import json_codec

    return json_codec.decode_value(data, Context(mode=Mode.FRAGILE))


def judge(case: Case, target) -> Judgement:
    folder = pathlib.Path(case.data["folder"])
    entry = case.data["entry"]
    xml = (folder / f"{entry['name']}.xml").read_bytes()
    if entry["direction"] == "error":
        outcome = target.convert(request(xml, XPATH, "json"))
        first = outcome.first
        want = (entry["error"]["code"], entry["error"]["path"])
        ok = (not outcome.converted and outcome.kind == "InvalidInput" and (first.code.name, first.path) == want
              and first.line is not None and first.column is not None)
        return verdict(ok, f"refused (InvalidInput): {want[0]} at {want[1] or '(root)'}, with line:column",
                       show(outcome), outcome, detail="accepted" if outcome.converted else
                       "another refusal, or no line:column")
    json_text = (folder / f"{entry['name']}.json").read_bytes()
    if case.data["aspect"] == "encode":
        outcome = target.convert(request(json_text, "json", XPATH))
        ok = outcome.converted and outcome.payload == xml and not outcome.issues
        return verdict(ok, show_bytes(xml), show(outcome), outcome,
                       detail="issues reported" if outcome.converted and outcome.payload == xml else
                       "the XML differs")
    outcome = target.convert(request(xml, XPATH, "json"))
    expected = _json_value(json_text)
    reported = outcome.converted and about_the_input(outcome)
    ok = outcome.converted and not reported and exact_equal(_json_value(outcome.payload), expected)
    return verdict(ok, show_bytes(json_text), show(outcome), outcome,
                   detail="issues reported" if reported else "the value differs")
