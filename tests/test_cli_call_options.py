"""The CLI's call options against a real server with API keys: --api-key, --idempotency-key,
--deadline, --request-id; and `convsvc keys` making a key the server accepts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest

from convsvc.server.config import Config
from convsvc.server.keys import KeyTable
from tests.conftest import ROOT, ServerProcess
from tests.serving import access_line, keys_toml, write_config

KEY = "cvk_test-cli"


def run(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items() if name != "CONVSVC_API_KEY"}
    return subprocess.run([sys.executable, "-m", "convsvc.cli.main", *args], input=stdin, capture_output=True,
                          cwd=ROOT, timeout=60, env={**environment, **(env or {})})


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli-keys")
    server = ServerProcess(tmp, "--config", str(write_config(tmp, keys_toml({"cli": (KEY, ["convert"])}))))
    yield server
    server.stop()


def remote(server, *args: str, stdin: bytes = b"[1]", env=None):
    return run("convert", "--from", "json", "--to", "json", "--target", server.address, *args, stdin=stdin, env=env)


def test_api_key_flag_or_environment_variable_authenticates(server):
    done = remote(server, "--api-key", KEY)
    assert done.stdout == b"[1]", done.stderr
    assert remote(server, env={"CONVSVC_API_KEY": KEY}).stdout == b"[1]"


def test_a_failed_call_prints_the_reason_and_its_request_id(server):
    done = remote(server, "--request-id", "cli-failed-1")
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        "convsvc: UNAUTHENTICATED: an API key is required: send `authorization: Bearer <key>` or `x-api-key`",
        "convsvc: request id: cli-failed-1"]
    assert access_line(server, "cli-failed-1")["code"] == "UNAUTHENTICATED"


def test_request_id_flag_reaches_the_server_log(server):
    assert remote(server, "--api-key", KEY, "--request-id", "cli-request-1").returncode == 0
    assert access_line(server, "cli-request-1")["principal"] == "cli"


def test_idempotency_key_flag_makes_a_retry_replay_the_first_answer(server):
    key = str(uuid.uuid4())
    for request_id in ("cli-idem-1", "cli-idem-2"):
        done = remote(server, "--api-key", KEY, "--idempotency-key", key, "--request-id", request_id, stdin=b"[7]")
        assert (done.returncode, done.stdout) == (0, b"[7]")
    assert access_line(server, "cli-idem-1")["idempotency"] == "stored"
    assert access_line(server, "cli-idem-2")["idempotency"] == "replayed"


def test_deadline_flag_bounds_the_call(server):
    payload = b"".join(b'{"n": %d}\n' % n for n in range(300_000))
    done = run("convert", "--from", "json", "--from-encoding", "jsonl", "--to", "json", "--to-encoding", "jsonl",
               "--target", server.address, "--api-key", KEY, "--deadline", "0.01", stdin=payload)
    assert done.returncode == 3
    assert "DEADLINE_EXCEEDED" in done.stderr.decode()
    assert re.search(r"convsvc: request id: [0-9a-f-]{36}", done.stderr.decode())


def test_keys_new_prints_a_key_and_a_config_entry_that_accepts_it(tmp_path):
    done = run("keys", "new", "--name", "ci", "--scope", "convert", "--scope", "registry:read")
    assert done.returncode == 0
    text = done.stdout.decode()
    key = re.search(r"cvk_\S+", text).group(0)
    config = Config.load(write_config(tmp_path, text), env={})
    assert config.auth.keys[0].scopes == {"convert", "registry:read"}
    assert KeyTable(config.auth.keys).authenticate(key).name == "ci"
    hashed = run("keys", "hash", stdin=key.encode() + b"\n").stdout.decode()
    assert f'sha256 = "{config.auth.keys[0].sha256}"' in hashed


def test_keys_new_refuses_an_unknown_scope():
    done = run("keys", "new", "--name", "ci", "--scope", "everything")
    assert done.returncode == 2 and "unknown scope" in done.stderr.decode()
