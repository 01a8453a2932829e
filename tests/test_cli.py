"""The `convsvc` command as a user runs it: exit codes, stdout, stderr, --report-json, --target."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "convsvc.cli.main", *args], input=stdin, capture_output=True,
                          cwd=ROOT, timeout=60)


@pytest.fixture(params=["local", "remote"])
def where(request, server):
    """Each convert test runs in process and against the live server: the same answers either way."""
    return [] if request.param == "local" else ["--target", server.address]


def test_convert_writes_the_result_on_stdout_and_exits_zero(where):
    done = run("convert", "--from", "json", "--to", "json", *where, stdin=b'{ "a" : [1, 2] }')
    assert (done.returncode, done.stdout, done.stderr) == (0, b'{"a":[1,2]}', b"")


def test_refusal_exits_one_with_position_and_pointer_on_stderr(where):
    done = run("convert", "--from", "json", "--to", "json", *where, stdin=b'{\n "a": [1,, 2]}')
    assert done.returncode == 1
    assert done.stdout == b""
    assert done.stderr.decode() == ("convsvc: error: SYNTAX_ERROR at (root) (line 2, column 10): "
                                    "unexpected character, expected a JSON value\n")


def test_robust_mode_reports_each_change_on_one_stderr_line(where):
    done = run("convert", "--from", "json", "--to", "json", "--mode", "robust", *where,
               stdin=b'{"a": 1, "a": 2, "b": {"c": 0, "c": 3}}')
    assert (done.returncode, done.stdout) == (0, b'{"a":2,"b":{"c":3}}')
    assert done.stderr.decode().splitlines() == [
        "convsvc: warning: DUPLICATE_KEY at /a (line 1, column 10): duplicate key 'a': the last value is kept",
        "convsvc: warning: DUPLICATE_KEY at /b/c (line 1, column 32): duplicate key 'c': the last value is kept",
    ]


def test_report_json_holds_every_issue(where, tmp_path):
    report = tmp_path / "report.json"
    done = run("convert", "--from", "json", "--to", "json", "--report-json", str(report), *where,
               stdin=b'[1,,2]')
    assert done.returncode == 1
    assert json.loads(report.read_text()) == {"converted": False, "issues": [{
        "code": "SYNTAX_ERROR", "severity": "ERROR", "path": "", "offset": 3, "line": 1, "column": 4,
        "message": "unexpected character, expected a JSON value"}]}


def test_unknown_encoding_is_a_usage_error(where):
    done = run("convert", "--from", "json", "--to", "json", "--to-encoding", "csv", *where, stdin=b"1")
    assert done.returncode == 2
    assert "INVALID_REQUEST at target.encoding" in done.stderr.decode()


def test_unknown_format_is_a_usage_error():
    done = run("convert", "--from", "csv", "--to", "json", stdin=b"1")
    assert done.returncode == 2


def test_json_lines_to_json_lines(where):
    done = run("convert", "--from", "json", "--from-encoding", "jsonl", "--to", "json", "--to-encoding", "jsonl",
               *where, stdin=b'{"a": 1}\n{"b": 2}\n')
    assert (done.returncode, done.stdout) == (0, b'{"a":1}\n{"b":2}\n')


def test_to_option_sets_an_encoding_option(where):
    done = run("convert", "--from", "json", "--to", "json", "--to-option", "indent=2", *where, stdin=b'{"a":1}')
    assert (done.returncode, done.stdout) == (0, b'{\n  "a": 1\n}')


def test_unreachable_server_exits_three():
    done = run("convert", "--from", "json", "--to", "json", "--target", "127.0.0.1:1", "--timeout", "2", stdin=b"1")
    assert done.returncode == 3
    assert "UNAVAILABLE" in done.stderr.decode()


def test_formats_lists_formats_and_encodings():
    done = run("formats", "--json")
    assert done.returncode == 0
    formats = {entry["name"]: entry for entry in json.loads(done.stdout)}
    assert [enc["name"] for enc in formats["json"]["encodings"]] == ["json", "jsonl", "confluent"]
    text = run("formats").stdout.decode()
    assert "  jsonl [multi-document]: JSON Lines: one compact JSON value per line" in text


POINT = '{"type": "record", "name": "Point", "fields": [{"name": "x", "type": "int"}, {"name": "y", "type": "int"}]}'


def test_schema_files_guide_conversion_both_ways(where, tmp_path):
    schema = tmp_path / "point.avsc"
    schema.write_text(POINT)
    avro = run("convert", "--from", "json", "--to", "avro", "--to-schema", str(schema), *where, stdin=b'{"x": 1, "y": -1}')
    assert (avro.returncode, avro.stdout) == (0, b"\x02\x01")
    back = run("convert", "--from", "avro", "--from-schema", str(schema), "--to", "json", *where, stdin=avro.stdout)
    assert (back.returncode, back.stdout) == (0, b'{"x":1,"y":-1}')


def test_protobuf_message_type_is_named_with_from_message(tmp_path):
    proto = tmp_path / "point.proto"
    proto.write_text('syntax = "proto3"; package geo; message Point { int32 x = 1; int32 y = 2; }')
    done = run("convert", "--from", "json", "--to", "protobuf", "--to-schema", str(proto), "--to-message", "geo.Point",
               stdin=b'{"x": 1, "y": 2}')
    assert (done.returncode, done.stdout) == (0, b"\x08\x01\x10\x02")


def test_schema_by_subject_from_the_servers_registry(server, tmp_path):
    schema = tmp_path / "point.avsc"
    schema.write_text(POINT)
    registered = run("schema", "register", "--subject", "cli-points", str(schema), "--target", server.address)
    assert registered.returncode == 0, registered.stderr
    done = run("convert", "--from", "json", "--to", "avro", "--to-schema", "subject:cli-points@latest",
               "--target", server.address, stdin=b'{"x": 3, "y": 4}')
    assert (done.returncode, done.stdout) == (0, b"\x06\x08")


def test_missing_schema_file_is_a_usage_error():
    done = run("convert", "--from", "json", "--to", "avro", "--to-schema", "/no/such.avsc", stdin=b"{}")
    assert done.returncode == 2
    assert done.stderr.decode() == "convsvc: schema file /no/such.avsc: No such file or directory\n"


def test_repair_prints_the_repaired_json_and_each_repair_with_its_position():
    done = run("repair", stdin=b"```json\n{name: 'Ada', tags: ['x',],}\n```")
    assert (done.returncode, done.stdout) == (0, b'{"name":"Ada","tags":["x"]}')
    assert done.stderr.decode().splitlines() == [
        "convsvc: warning: JSON_CODE_FENCE at (root) (line 1, column 1): Markdown code fence removed",
        "convsvc: warning: JSON_UNQUOTED_KEY at /name (line 2, column 2): unquoted key 'name' quoted",
        "convsvc: warning: JSON_SINGLE_QUOTES at /name (line 2, column 8): single-quoted string requoted",
        "convsvc: warning: JSON_UNQUOTED_KEY at /tags (line 2, column 15): unquoted key 'tags' quoted",
        "convsvc: warning: JSON_SINGLE_QUOTES at /tags/0 (line 2, column 22): single-quoted string requoted",
        "convsvc: warning: JSON_TRAILING_COMMA at /tags (line 2, column 25): trailing comma removed",
        "convsvc: warning: JSON_TRAILING_COMMA at (root) (line 2, column 27): trailing comma removed",
    ]


def test_repair_refuses_what_it_cannot_repair():
    done = run("repair", stdin=b"no json here")
    assert done.returncode == 1
    assert done.stderr.decode().startswith("convsvc: error: SYNTAX_ERROR")


def test_schema_commands_send_the_api_key_and_print_the_request_id_when_refused(tmp_path):
    from tests.conftest import ServerProcess
    from tests.serving import keys_toml, write_config

    writer = "k-" + "w" * 30
    keyed = ServerProcess(tmp_path, "--config", str(write_config(tmp_path, keys_toml({"w": (writer, ["registry:write", "registry:read"])}))))
    try:
        schema = tmp_path / "point.avsc"
        schema.write_text(POINT)
        refused = run("schema", "register", "--subject", "s", str(schema), "--target", keyed.address,
                      "--request-id", "req-123")
        assert refused.returncode == 1
        assert refused.stderr.decode().splitlines()[-1] == "convsvc: request id: req-123"
        accepted = run("schema", "register", "--subject", "s", str(schema), "--target", keyed.address,
                       "--api-key", writer, "--json")
        assert accepted.returncode == 0, accepted.stderr
        assert json.loads(accepted.stdout)["id"] == 1
    finally:
        keyed.stop()
