"""`convsvc convert` starts quickly: it imports the engine and the codecs of the formats it names, nothing else
(no gRPC without --target, no asyncio, no Avro/Protobuf/XML codec for YAML to JSON)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

# Heavy modules a YAML-to-JSON conversion has no use for (each costs tens of milliseconds to import).
UNUSED_BY_YAML_TO_JSON = ("grpc", "asyncio", "google.protobuf", "convsvc.formats.avro_codec",
                          "convsvc.formats.protobuf_codec", "convsvc.formats.xml_codec", "fastavro", "lxml",
                          "convsvc.model.conform", "convsvc.cli.remote")


def imported_by(*args: str, stdin: bytes) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run `convsvc ARGS` under `python -X importtime`; the names of every module it imported."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "convsvc.cli.main", *args], input=stdin,
                          capture_output=True, cwd=ROOT, timeout=60)
    modules = set()
    for line in done.stderr.decode().splitlines():
        if line.startswith("import time:") and "|" in line:
            modules.add(line.rsplit("|", 1)[1].strip())
    return done, modules


def test_yaml_to_json_imports_only_what_it_uses():
    done, modules = imported_by("convert", "--from", "yaml", "--to", "json", stdin=b"a: [1, 2]\n")
    assert (done.returncode, done.stdout) == (0, b'{"a":[1,2]}')
    assert {"convsvc.engine", "convsvc.formats.yaml_codec", "convsvc.formats.json_codec"} <= modules
    assert sorted(name for name in modules if name.split(".")[0] in {"grpc", "asyncio", "google", "fastavro", "lxml"}
                  or name in UNUSED_BY_YAML_TO_JSON) == []


def test_json_to_avro_imports_the_avro_codec_and_not_the_others():
    schema = ROOT / "schemas" / "examples" / "point.avsc"
    done, modules = imported_by("convert", "--from", "json", "--to", "avro", "--to-schema", str(schema),
                                stdin=b'{"x": 1, "y": -1}')
    assert (done.returncode, done.stdout) == (0, b"\x02\x01")
    assert "convsvc.formats.avro_codec" in modules
    assert not modules & {"grpc", "convsvc.formats.protobuf_codec", "convsvc.formats.xml_codec"}


@pytest.mark.parametrize("command", [["formats"], ["schema", "--help"], ["convert", "--help"]])
def test_commands_that_call_no_server_do_not_import_grpc(command):
    done, modules = imported_by(*command, stdin=b"")
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert "grpc" not in modules


def test_the_table_of_formats_imports_a_codec_when_it_is_named():
    code = """
import sys
from convsvc.formats import FORMATS
codecs = ["convsvc.formats." + name for name in ("json_codec", "yaml_codec", "avro_codec", "protobuf_codec", "xml_codec")]
loaded = lambda: [name for name in codecs if name in sys.modules]
assert list(FORMATS) == ["json", "yaml", "avro", "protobuf", "xml"] and len(FORMATS) == 5, list(FORMATS)
assert "avro" in FORMATS and "csv" not in FORMATS and FORMATS.get("csv") is None
assert loaded() == [], loaded()
assert FORMATS["avro"].NAME == "avro" and FORMATS["avro"] is sys.modules["convsvc.formats.avro_codec"]
assert loaded() == ["convsvc.formats.avro_codec"], loaded()
FORMATS.load_all()
assert loaded() == codecs, loaded()
assert [codec.NAME for codec in FORMATS.values()] == list(FORMATS)
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"ok\n", b"")
