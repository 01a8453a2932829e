"""`convsvc schema ...` against a running server: tables for people, JSON for scripts, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

USER = {"type": "record", "name": "User", "namespace": "acme", "fields": [{"name": "id", "type": "long"}]}
USER_EMAIL = {**USER, "fields": [*USER["fields"], {"name": "email", "type": "string"}]}


def cli(server, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The schema subcommands (`python -m convsvc.cli.schema` until main.py wires `convsvc schema`)."""
    command, *rest = args
    return subprocess.run([sys.executable, "-m", "convsvc.cli.schema", "schema", command,
                           "--target", server.address, *rest],
                          cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=60)


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, schema in (("user", USER), ("user_email", USER_EMAIL)):
        paths[name] = tmp_path / f"{name}.avsc"
        paths[name].write_text(json.dumps(schema))
    paths["order"] = tmp_path / "order.proto"
    paths["order"].write_text('syntax = "proto3";\npackage acme.v1;\nmessage Order { string id = 1; }\n')
    return paths


def test_register_get_and_list_print_json_for_scripts(registry_server, files):
    registered = cli(registry_server, "register", "--subject", "users-value", str(files["user"]), "--json")
    assert registered.returncode == 0, registered.stderr
    assert json.loads(registered.stdout)["id"] == 1
    got = json.loads(cli(registry_server, "get", "--subject", "users-value", "--json").stdout)
    assert (got["subject"], got["version"], got["id"], got["schemaType"]) == ("users-value", 1, 1, "AVRO")
    assert json.loads(cli(registry_server, "subjects", "--json").stdout) == ["users-value"]
    assert json.loads(cli(registry_server, "versions", "users-value", "--json").stdout) == [1]
    proto = cli(registry_server, "register", "--subject", "orders-value", "--type", "protobuf",
                str(files["order"]), "--json")
    assert json.loads(proto.stdout)["schemaType"] == "PROTOBUF"


def test_human_output_is_a_table(registry_server, files):
    cli(registry_server, "register", "--subject", "users-value", str(files["user"]))
    shown = cli(registry_server, "get", "--id", "1")
    assert shown.returncode == 0
    assert "schemaType" in shown.stdout and "AVRO" in shown.stdout
    assert '"name":"User"' in shown.stdout


def test_check_exits_1_with_reasons_when_incompatible(registry_server, files):
    cli(registry_server, "register", "--subject", "users-value", str(files["user"]))
    ok = cli(registry_server, "check", "--subject", "users-value", str(files["user"]))
    assert (ok.returncode, ok.stdout.strip()) == (0, "compatible (BACKWARD)")
    bad = cli(registry_server, "check", "--subject", "users-value", str(files["user_email"]), "--json")
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["reasons"] == [{"code": "READER_FIELD_MISSING_DEFAULT_VALUE",
                                                  "path": "/fields/1", "message": (
        "The field 'email' at path '/fields/1' in the new schema has no default value and is missing in the old "
        "schema"), "version": 1}]


def test_refusals_exit_1_with_the_reason_on_stderr(registry_server, files):
    missing = cli(registry_server, "versions", "nobody")
    assert missing.returncode == 1
    assert "SUBJECT_NOT_FOUND (40401): Subject 'nobody' not found." in missing.stderr
    cli(registry_server, "register", "--subject", "users-value", str(files["user"]))
    refused = cli(registry_server, "register", "--subject", "users-value", str(files["user_email"]))
    assert refused.returncode == 1
    assert "INCOMPATIBLE_SCHEMA (409)" in refused.stderr
    assert "READER_FIELD_MISSING_DEFAULT_VALUE at subjects/users-value/versions/1#/fields/1" in refused.stderr


def test_delete_config_and_mode(registry_server, files):
    cli(registry_server, "register", "--subject", "users-value", str(files["user"]))
    assert json.loads(cli(registry_server, "config", "--subject", "users-value", "--level", "full",
                          "--json").stdout) == {"subject": "users-value", "compatibility": "FULL"}
    assert json.loads(cli(registry_server, "config", "--json").stdout)["compatibility"] == "BACKWARD"
    soft = cli(registry_server, "delete", "--subject", "users-value", "--json")
    assert json.loads(soft.stdout) == {"subject": "users-value", "deleted": [1], "permanent": False}
    hard = cli(registry_server, "delete", "--subject", "users-value", "--permanent", "--json")
    assert json.loads(hard.stdout)["deleted"] == [1]
    assert json.loads(cli(registry_server, "mode", "--mode", "readonly", "--json").stdout)["mode"] == "READONLY"


def test_unreachable_server_exits_3(files):
    class Nowhere:
        address = "127.0.0.1:9"

    result = cli(Nowhere, "subjects", "--timeout", "2")
    assert result.returncode == 3


def test_export_then_import_into_another_server_keeps_ids(registry_server, files, tmp_path):
    from tests.registry.conftest import RegistryServerProcess

    cli(registry_server, "register", "--subject", "a", str(files["user"]))
    cli(registry_server, "register", "--subject", "b", "--type", "protobuf", str(files["order"]))
    cli(registry_server, "delete", "--subject", "a")
    exported = cli(registry_server, "export", "-o", str(tmp_path / "backup.jsonl"))
    assert exported.returncode == 0, exported.stderr
    other = RegistryServerProcess(str(tmp_path / "other.db"), tmp_path / "other.log")
    try:
        imported = cli(other, "import", str(tmp_path / "backup.jsonl"), "--json")
        assert json.loads(imported.stdout) == {"schemas": 2, "soft_deleted": 1, "settings": 0}
        again = cli(other, "export")
        assert again.stdout == (tmp_path / "backup.jsonl").read_text()
    finally:
        other.stop()
