"""docs/modes.md: every issue code has an example that really yields it, the page is exactly what
scripts/gen_modes_doc.py writes from them now, and the CLI and the gRPC server say what the page says."""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
import sys

import grpc
import pytest
from grpc_status import rpc_status

from convsvc.model import Code, Mode, Severity
from convsvc.v1 import conversion_pb2 as pb
from convsvc.wire import format_spec_to_proto, mode_to_proto, report_to_proto
from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("gen_modes_doc", ROOT / "scripts" / "gen_modes_doc.py")
gen = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = gen
_spec.loader.exec_module(gen)

EXAMPLES = {example.code: example for example in gen.EXAMPLES}

# FRAGILE refuses the input as it is: broken JSON is a syntax error (strict parsing comes first), and a
# coercion only ROBUST may make leaves a value of the wrong type.
FRAGILE_SEES = {
    **{code: Code.SYNTAX_ERROR for code in Code if code.name.startswith("JSON_") and code is not Code.JSON_BOM},
    **{code: Code.SCHEMA_VIOLATION for code in (Code.COERCED_STRING_TO_NUMBER, Code.COERCED_NUMBER_TO_STRING,
                                                Code.COERCED_STRING_TO_BOOL, Code.COERCED_ENUM_CASE,
                                                Code.COERCED_TO_ARRAY, Code.TIMEZONE_ASSUMED)},
}
STATUS = {Code.SCHEMA_NOT_FOUND: grpc.StatusCode.NOT_FOUND, Code.UNIMPLEMENTED: grpc.StatusCode.UNIMPLEMENTED}


def codes(outcome) -> list[Code]:
    return [issue.code for issue in outcome.issues]


# -- (a) every code, once ----------------------------------------------------------------------------

def test_every_issue_code_has_exactly_one_example():
    assert sorted(example.code.value for example in gen.EXAMPLES) == sorted(code.value for code in Code)


def test_the_page_groups_every_code_once_as_codes_py_does():
    groups = gen.code_groups()
    assert [title.split(" ")[0] for title, _ in groups] == ["Refusals:", "Losses", "JSON", "XML", "Protobuf"]
    assert [code for _, members in groups for code in members] == list(Code)


# -- (b) each example yields its code ----------------------------------------------------------------

@pytest.mark.parametrize("code", [code for code in Code if code.severity is Severity.ERROR], ids=lambda c: c.name)
def test_error_example_is_refused_with_its_code_in_both_modes(code):
    for mode in Mode:
        outcome = gen.run(EXAMPLES[code], mode)
        assert outcome.payload is None, mode
        assert codes(outcome)[0] is code, mode
        assert outcome.status == STATUS.get(code, grpc.StatusCode.INVALID_ARGUMENT)


@pytest.mark.parametrize("code", [code for code in Code if code.severity is Severity.WARNING], ids=lambda c: c.name)
def test_warning_example_is_converted_and_reported_in_robust_and_refused_in_fragile(code):
    robust = gen.run(EXAMPLES[code], Mode.ROBUST)
    assert robust.payload is not None
    assert code in codes(robust)
    assert all(issue.level is not Severity.ERROR for issue in robust.issues)
    fragile = gen.run(EXAMPLES[code], Mode.FRAGILE)
    assert fragile.payload is None
    assert codes(fragile)[0] is FRAGILE_SEES.get(code, code)
    assert fragile.status == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("code", [code for code in Code if code.severity is Severity.INFO], ids=lambda c: c.name)
def test_info_example_is_converted_alike_and_reported_in_both_modes(code):
    robust, fragile = gen.run(EXAMPLES[code], Mode.ROBUST), gen.run(EXAMPLES[code], Mode.FRAGILE)
    assert robust.payload is not None and fragile.payload == robust.payload
    assert codes(robust) == codes(fragile) == [code]


def test_a_cap_on_changes_refuses_the_intro_example_with_limit_exceeded():
    capped = gen.run(gen.CAPPED, Mode.ROBUST, gen.CAP)
    assert codes(capped)[0] is Code.LIMIT_EXCEEDED
    assert len(codes(capped)) == 1 + gen.CAP + 1  # the cap, then the changes up to the one past it
    assert len(gen.run(gen.CAPPED, Mode.ROBUST).issues) == 6


def test_the_example_payload_column_shows_each_payload_exactly():
    assert gen.show_bytes(b"[1, 2,]", gen.JSON) == "[1, 2,]"
    assert gen.show_bytes(b"1\n2\n", gen.JSONL) == "b'1\\n2\\n'"
    assert gen.show_bytes(b"\xef\xbb\xbf[1]", gen.JSON) == "b'\\xef\\xbb\\xbf[1]'"
    assert gen.show_bytes(b"\x08\x01", gen.PROTOBUF) == "08 01 (hex)"


# -- (c) the page cannot rot -------------------------------------------------------------------------

def test_the_page_is_what_the_generator_writes_now():
    page = (ROOT / "docs" / "modes.md").read_text(encoding="utf-8")
    assert page == gen.render(), "run `python scripts/gen_modes_doc.py` (make docs) and commit docs/modes.md"


def test_every_code_has_its_section_in_the_page():
    page = (ROOT / "docs" / "modes.md").read_text(encoding="utf-8")
    for code in Code:
        assert page.count(f"\n#### {code.name}\n") == 1, code.name


# -- (d) the CLI prints the same lines ---------------------------------------------------------------

def run_cli(args: list[str], stdin: bytes) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "convsvc.cli.main", *args], input=stdin, capture_output=True,
                          cwd=ROOT, timeout=60)


SCHEMA_SUFFIX = {"avro": ".avsc", "protobuf": ".proto", "json": ".json"}


def cli_args_with_schema_files(example, mode: Mode, tmp_path) -> list[str]:
    """gen.cli_args, with each inline schema written to a file (a registry one as id:N) for --from/--to-schema."""
    bare = dataclasses.replace(example, source=dataclasses.replace(example.source, schema=None, message_type=""),
                               target=dataclasses.replace(example.target, schema=None, message_type=""))
    args = gen.cli_args(bare, mode)
    for flag, spec in (("--from", example.source), ("--to", example.target)):
        if spec.schema is not None and spec.schema.kind == "id":
            args += [f"{flag}-schema", f"id:{spec.schema.id}"]
        elif spec.schema is not None:
            path = tmp_path / f"{flag.strip('-')}{SCHEMA_SUFFIX[spec.schema.inline_type]}"
            path.write_text(spec.schema.inline_text, encoding="utf-8")
            args += [f"{flag}-schema", str(path)]
        if spec.message_type:
            args += [f"{flag}-message", spec.message_type]
    return args


CLI_CASES = [
    (Code.JSON_TRAILING_COMMA, Mode.ROBUST), (Code.JSON_TRAILING_COMMA, Mode.FRAGILE),
    (Code.MULTIPLE_DOCUMENTS, Mode.ROBUST), (Code.COERCED_ENUM_CASE, Mode.ROBUST),
    (Code.COERCED_ENUM_CASE, Mode.FRAGILE), (Code.XML_NAME_ESCAPED, Mode.FRAGILE),
    (Code.UNKNOWN_FIELDS_KEPT, Mode.FRAGILE), (Code.INVALID_REQUEST, Mode.ROBUST), (Code.UNIMPLEMENTED, Mode.FRAGILE),
]


@pytest.mark.parametrize("code, mode", CLI_CASES, ids=[f"{code.name}-{mode.value}" for code, mode in CLI_CASES])
def test_the_cli_prints_the_issue_lines_of_the_page(code, mode, tmp_path):
    example = EXAMPLES[code]
    outcome = gen.run(example, mode)
    done = run_cli(cli_args_with_schema_files(example, mode, tmp_path), example.payload)
    assert done.stderr.decode().splitlines() == [f"convsvc: {gen.issue_line(issue)}" for issue in outcome.issues]
    if outcome.payload is not None:
        assert (done.returncode, done.stdout) == (0, outcome.payload)
    else:
        assert (done.returncode, done.stdout) == (2 if code is Code.INVALID_REQUEST else 1, b"")


@pytest.mark.parametrize("example, mode, cap", [
    (gen.CAPPED, Mode.ROBUST, gen.CAP), (gen.CLI_EXAMPLE, Mode.FRAGILE, None), (gen.CLI_EXAMPLE, Mode.ROBUST, None),
], ids=["max-changes", "fragile", "robust"])
def test_the_console_transcripts_of_the_page_are_what_the_cli_prints(example, mode, cap):
    transcript = gen.cli_transcript(example, mode, cap)
    args = gen.cli_args(example, mode, cap)
    assert transcript[0].startswith("$ printf ") and f"| convsvc {' '.join(args)}" in transcript[0]
    done = run_cli(args, example.payload)
    printed = done.stderr.decode().splitlines() + done.stdout.decode().splitlines()
    assert printed + ([f"exit {done.returncode}"] if done.returncode else []) == transcript[1:]


def test_the_printf_command_of_a_transcript_gives_back_the_payload():
    for example in (gen.CAPPED, gen.CLI_EXAMPLE):
        command = gen.cli_transcript(example, Mode.ROBUST)[0][2:].split(" | ")[0]
        assert subprocess.run(["bash", "-c", command], capture_output=True, timeout=10).stdout == example.payload


# -- the gRPC sections: what a live server sends -----------------------------------------------------

def proto_request(example, mode: Mode) -> pb.ConvertRequest:
    return pb.ConvertRequest(source=format_spec_to_proto(example.source), target=format_spec_to_proto(example.target),
                             payload=example.payload, mode=mode_to_proto(mode))


def test_a_refusal_over_grpc_carries_the_details_the_page_shows(stub):
    refused = gen.run(gen.REFUSED_OVER_GRPC, Mode.FRAGILE)
    code, status = gen.status_details(refused.error)
    with pytest.raises(grpc.RpcError) as caught:
        stub.Convert(proto_request(gen.REFUSED_OVER_GRPC, Mode.FRAGILE), timeout=10)
    assert caught.value.code() == code == grpc.StatusCode.INVALID_ARGUMENT
    # compared unpacked: a packed ErrorInfo's metadata map may serialize in another order
    shown = gen.status_text(code, rpc_status.from_call(caught.value))
    assert shown == gen.status_text(code, status)
    assert [line for line in shown if line.startswith("details ")] == [
        "details google.rpc.BadRequest {", "details google.rpc.ErrorInfo {", "details convsvc.v1.Report {"]
    page = (ROOT / "docs" / "modes.md").read_text(encoding="utf-8")
    assert "\n".join(shown) in page


def test_a_robust_report_over_grpc_is_the_response_the_page_shows(stub):
    reported = gen.run(gen.REPORTED_OVER_GRPC, Mode.ROBUST)
    response = stub.Convert(proto_request(gen.REPORTED_OVER_GRPC, Mode.ROBUST), timeout=10)
    assert response == pb.ConvertResponse(payload=reported.payload, report=report_to_proto(reported.issues))
    assert [issue.code for issue in response.report.issues] == [pb.ISSUE_CODE_JSON_TRAILING_COMMA] * 2
