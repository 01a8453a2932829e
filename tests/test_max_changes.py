"""The cap on changes: a request's max_changes (ROBUST) and the server's limit max_changes (both modes)
keep a conversion's repairs, coercions and losses — and so its report — bounded."""

from __future__ import annotations

import subprocess
import sys

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from convsvc.engine import ConvertRequest, Engine, FormatSpec
from convsvc.model import Limits, Mode, TooManyChanges
from convsvc.v1 import conversion_pb2 as pb

JSON = FormatSpec("json")
BROKEN = b"{'a': 1, 'b': [1,2,], c: True,}"  # five repairs, in this order:
REPAIRS = [("JSON_SINGLE_QUOTES", "/a", 2), ("JSON_SINGLE_QUOTES", "/b", 10), ("JSON_TRAILING_COMMA", "/b", 19),
           ("JSON_UNQUOTED_KEY", "/c", 23), ("JSON_PYTHON_LITERAL", "/c", 26), ("JSON_TRAILING_COMMA", "", 30)]


def issues(error_or_report) -> list[tuple[str, str, int | None]]:
    found = error_or_report.issues if hasattr(error_or_report, "issues") else error_or_report
    return [(issue.code.name, issue.path, issue.column) for issue in found]


def test_a_cap_at_the_number_of_repairs_accepts_them_all():
    result = Engine().convert(ConvertRequest(JSON, JSON, BROKEN, Mode.ROBUST, max_changes=6))
    assert result.payload == b'{"a":1,"b":[1,2],"c":true}'
    assert issues(result.report) == REPAIRS


@pytest.mark.parametrize("cap", [0, 2, 5])
def test_one_repair_over_the_cap_refuses_naming_the_limit_and_listing_the_repairs_so_far(cap):
    with pytest.raises(TooManyChanges) as caught:
        Engine().convert(ConvertRequest(JSON, JSON, BROKEN, Mode.ROBUST, max_changes=cap))
    code, path, column = REPAIRS[cap]
    over = caught.value.issues[0]
    assert (over.code.name, over.path, over.column) == ("LIMIT_EXCEEDED", path, column)
    assert over.message == (f"more than {cap} changes (repairs, coercions, losses); the last is {code} "
                            f"(limit max_changes={cap})")
    assert issues(caught.value)[1:] == REPAIRS[:cap + 1]
    assert (caught.value.limit, caught.value.maximum) == ("max_changes", cap)


def test_the_server_limit_caps_what_a_request_asks_for():
    engine = Engine(Limits(max_changes=1))
    with pytest.raises(TooManyChanges) as caught:
        engine.convert(ConvertRequest(JSON, JSON, BROKEN, Mode.ROBUST, max_changes=100))
    assert caught.value.maximum == 1 and len(caught.value.issues) == 3


def test_the_default_limit_stops_a_repair_of_a_million_broken_commas_early():
    broken = b"[" + b"1,," * 1_000_000 + b"]"  # every element needs a repair
    with pytest.raises(TooManyChanges) as caught:
        Engine().convert(ConvertRequest(JSON, JSON, broken, Mode.ROBUST))
    over = caught.value.issues[0]
    assert over.message.endswith("(limit max_changes=100000)")
    assert over.column == 3 * 100_001 + 1  # the 100 001st repair (the second comma of its "1,,"), not the end
    assert len(caught.value.issues) <= 1 + 1001  # the repairer lists 1000 per code, then counts


def test_fragile_lists_at_most_the_limit_of_changes():
    duplicates = b'{"k": 1, "k": 2, "k": 3, "k": 4, "k": 5}'
    with pytest.raises(TooManyChanges) as caught:
        Engine(Limits(max_changes=2)).convert(ConvertRequest(JSON, JSON, duplicates, Mode.FRAGILE))
    assert [issue.code.name for issue in caught.value.issues] == ["DUPLICATE_KEY"] * 3
    assert caught.value.limit is None  # in FRAGILE each change is itself the reason


def test_the_cap_over_grpc_is_invalid_argument_with_the_limit_in_error_info(stub):
    request = pb.ConvertRequest(source=pb.FormatSpec(format=pb.FORMAT_JSON), target=pb.FormatSpec(format=pb.FORMAT_JSON),
                                payload=BROKEN, mode=pb.MODE_ROBUST, max_changes=2)
    with pytest.raises(grpc.RpcError) as caught:
        stub.Convert(request, timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, bad_request = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    for detail in rpc_status.from_call(caught.value).details:
        for message in (info, bad_request):
            if detail.Is(message.DESCRIPTOR):
                detail.Unpack(message)
    assert info.reason == "LIMIT_EXCEEDED"
    assert (info.metadata["limit"], info.metadata["maximum"]) == ("max_changes", "2")
    assert [(v.reason, v.field) for v in bad_request.field_violations] == \
        [("LIMIT_EXCEEDED", "/b")] + [(code, path) for code, path, _ in REPAIRS[:3]]
    request.max_changes = 6
    assert stub.Convert(request, timeout=10).payload == b'{"a":1,"b":[1,2],"c":true}'
    request.ClearField("max_changes")  # unset: the server's limit
    assert len(stub.Convert(request, timeout=10).report.issues) == 6


def test_a_stream_caps_each_record_and_goes_on_in_robust(stub):
    def requests():
        spec = pb.StreamSpec(source=pb.FormatSpec(format=pb.FORMAT_JSON), target=pb.FormatSpec(format=pb.FORMAT_JSON),
                             mode=pb.MODE_ROBUST, max_changes=1)
        yield pb.ConvertStreamRequest(spec=spec)
        for record in (b"[1,]", b"[1,,]", b"[2]"):
            yield pb.ConvertStreamRequest(record=record)

    answers = list(stub.ConvertStream(requests(), timeout=10))
    assert [answer.WhichOneof("result") for answer in answers] == ["record", "error", "record"]
    assert (answers[0].record, answers[2].record) == (b"[1]\n", b"[2]\n")
    assert answers[1].error.issues[0].code == pb.ISSUE_CODE_LIMIT_EXCEEDED
    assert "limit max_changes=1" in answers[1].error.issues[0].message


def test_the_cli_max_changes_flag(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "convsvc.cli.main", *args], input=BROKEN, capture_output=True)

    refused = run("repair", "--max-changes", "2")
    assert refused.returncode == 1 and refused.stdout == b""
    assert refused.stderr.decode().splitlines()[0] == (
        "convsvc: error: LIMIT_EXCEEDED at /b (line 1, column 19): more than 2 changes (repairs, coercions, "
        "losses); the last is JSON_TRAILING_COMMA (limit max_changes=2)")
    accepted = run("convert", "--from", "json", "--to", "json", "--mode", "robust", "--max-changes", "6")
    assert accepted.returncode == 0 and accepted.stdout == b'{"a":1,"b":[1,2],"c":true}'
    assert run("repair", "--max-changes", "-1").returncode == 2
