"""Users' own cases (docs/corpus.md): the example folder passes as documented, and a folder that does not
follow the layout says what is wrong, case by case, while the other cases still run."""

from __future__ import annotations

import json

from convsvc.corpus.model import FAILED, PASSED, Where
from convsvc.corpus.runner import plan, run
from convsvc.corpus.suites import folder_suite
from convsvc.corpus.targets import TargetSpec
from tests.conftest import ROOT

EXAMPLE = ROOT / "corpus" / "examples" / "user-cases"


def verdicts(folder) -> dict[str, tuple[str, str]]:
    work = plan([folder_suite(folder)], Where.default())
    return {result.case.id.split("/", 1)[1]: (result.verdict, result.judgement.detail)
            for result in run(work.cases, TargetSpec())}


def test_the_documented_example_folder_passes():
    assert verdicts(EXAMPLE) == {name: (PASSED, "") for name in (
        "duplicate-key-refused", "duplicate-key-robust", "json-to-yaml", "point-to-avro", "yaml-stream-to-json-lines")}


def test_every_documented_key_is_honoured(user_cases, add_user_case):
    add_user_case(user_cases, "options-and-encodings",
                  'from = "yaml"\nto = "json"\nto_encoding = "json"\nto_options = { indent = "2" }\n'
                  'mode = "robust"\nissues = ["MULTIPLE_DOCUMENTS"]\n',
                  input_yaml="a: 1\n---\nb: 2\n", expected_json='[\n  {\n    "a": 1\n  },\n  {\n    "b": 2\n  }\n]')
    schema_here = add_user_case(user_cases, "schema-in-the-case-folder",
                                'from = "avro"\nfrom_schema = "point.avsc"\nto = "json"\n',
                                input_avro="\x02\x04", expected_json='{"x":1,"y":2}')
    (schema_here / "point.avsc").write_text(json.dumps(
        {"type": "record", "name": "P", "fields": [{"name": "x", "type": "int"}, {"name": "y", "type": "int"}]}))
    add_user_case(user_cases, "error-without-path", 'from = "json"\nto = "yaml"\nerror = "SYNTAX_ERROR"\n',
                  input_json="[1,,2]")
    add_user_case(user_cases, "error-at-the-wrong-path",
                  'from = "json"\nto = "yaml"\nerror = "DUPLICATE_KEY"\nerror_path = "/b"\n',
                  input_json='{"a":1,"a":2}')
    add_user_case(user_cases, "issues-differ", 'from = "json"\nto = "json"\nmode = "robust"\nissues = []\n',
                  input_json='{"a":1,"a":2}', expected_json='{"a":2}')
    found = verdicts(user_cases)
    assert found["options-and-encodings"] == (PASSED, ""), found["options-and-encodings"]
    assert found["schema-in-the-case-folder"] == (PASSED, "")
    assert found["error-without-path"] == (PASSED, "")
    assert found["error-at-the-wrong-path"] == (FAILED, "another refusal")
    assert found["issues-differ"] == (FAILED, "the issue codes differ")


def test_a_case_folder_off_the_layout_fails_with_what_is_wrong(user_cases, add_user_case):
    add_user_case(user_cases, "unknown-key", 'from = "json"\nto = "yaml"\nfrmo = "x"\n', input_json="1",
                  expected_yaml="1\n")
    add_user_case(user_cases, "no-format", 'from = "csv"\nto = "yaml"\n', input_json="1", expected_yaml="1\n")
    add_user_case(user_cases, "no-expectation", 'from = "json"\nto = "yaml"\n', input_json="1")
    add_user_case(user_cases, "both-expectations", 'from = "json"\nto = "yaml"\nerror = "SYNTAX_ERROR"\n',
                  input_json="1", expected_yaml="1\n")
    add_user_case(user_cases, "two-inputs", 'from = "json"\nto = "yaml"\n', input_json="1", input_txt="2",
                  expected_yaml="1\n")
    add_user_case(user_cases, "missing-schema", 'from = "json"\nto = "avro"\nto_schema = "nowhere.avsc"\n',
                  input_json="1", expected_avro="x")
    add_user_case(user_cases, "not-toml", 'from = \n', input_json="1", expected_yaml="1\n")
    found = verdicts(user_cases)
    where = user_cases
    assert found["unknown-key"] == (FAILED, f"{where}/unknown-key/case.toml: unknown keys frmo; known: description, "
                                            "error, error_path, from, from_encoding, from_message, from_options, "
                                            "from_reader_schema, from_schema, issues, mode, to, to_encoding, "
                                            "to_message, to_options, to_schema")
    assert found["no-format"] == (FAILED, f"{where}/no-format/case.toml: `from` must be one of json, yaml, avro, "
                                          "protobuf, xml")
    assert found["no-expectation"] == (FAILED, f"{where}/no-expectation/case.toml: give exactly one of: an "
                                               'expected.* file (the output) or `error = "CODE"`')
    assert found["both-expectations"] == found["no-expectation"][:1] + (
        found["no-expectation"][1].replace("no-expectation", "both-expectations"),)
    assert found["two-inputs"] == (FAILED, f"{where}/two-inputs/case.toml: expected one input.* file, found 2")
    assert found["missing-schema"] == (FAILED, f"{where}/missing-schema/case.toml: schema file nowhere.avsc is "
                                               "neither in the case folder nor in the suite folder")
    assert found["not-toml"][0] == FAILED and found["not-toml"][1].startswith(f"{where}/not-toml/case.toml: not TOML")
    assert found["json-to-yaml"] == (PASSED, "")  # the others still run


def test_a_folder_without_cases_is_reported_unavailable(tmp_path):
    work = plan([folder_suite(tmp_path)], Where.default())
    assert work.cases == []
    assert work.unavailable == {tmp_path.name: f"no cases in {tmp_path}: a case is a folder holding case.toml "
                                               "(docs/corpus.md)"}
