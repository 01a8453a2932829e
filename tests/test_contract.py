"""The data tables and the wire contract agree: issue codes, generated docs, format names."""

from __future__ import annotations

from convsvc.formats import FORMATS
from convsvc.model.codes import Code, Severity, markdown_table
from convsvc.v1 import conversion_pb2 as pb
from tests.conftest import ROOT


def test_proto_issue_codes_match_the_model_table():
    proto = {name.removeprefix("ISSUE_CODE_"): number for name, number in pb.IssueCode.items()
             if name != "ISSUE_CODE_UNSPECIFIED"}
    assert proto == {code.name: code.value for code in Code}


def test_proto_severities_match_the_model():
    proto = {name.removeprefix("SEVERITY_"): number for name, number in pb.Severity.items()
             if name != "SEVERITY_UNSPECIFIED"}
    assert proto == {level.name: level.value for level in Severity}


def test_issue_code_doc_is_generated_from_the_table():
    assert (ROOT / "docs" / "issue-codes.md").read_text(encoding="utf-8") == markdown_table(), \
        "run `make docs` and commit docs/issue-codes.md"


def test_every_proto_format_has_a_codec():
    proto = {name.removeprefix("FORMAT_").lower() for name in pb.Format.keys() if name != "FORMAT_UNSPECIFIED"}
    assert proto == set(FORMATS)
