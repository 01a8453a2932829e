"""The REST registry API honours the server's API keys and scopes: 401 without a key, 403 without the scope."""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import ServerProcess
from tests.serving import keys_toml, write_config

READER, CONVERTER = "cvk_rest-reader", "cvk_rest-converter"


@pytest.fixture(scope="module")
def rest(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rest-auth")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write_config(tmp, keys_toml({"reader": (READER, ["registry:read"]), "converter": (CONVERTER, ["convert"])}))
    server = ServerProcess(tmp, "--config", str(config), "--rest-port", str(port))
    deadline = time.monotonic() + 20
    while not re.search(r"REST schema registry on", server.log()):
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.stop()


def call(url: str, key: str | None = None, method: str = "GET", body: dict | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_no_key_is_401_with_a_confluent_error_body(rest):
    status, body = call(f"{rest}/subjects")
    assert (status, body["error_code"]) == (401, 40101)


def test_a_reader_key_reads(rest):
    assert call(f"{rest}/subjects", READER) == (200, [])


def test_a_key_without_the_scope_is_403(rest):
    status, body = call(f"{rest}/subjects", CONVERTER)
    assert (status, body["error_code"]) == (403, 40301)


def test_a_reader_key_cannot_register(rest):
    status, body = call(f"{rest}/subjects/s/versions", READER, "POST", {"schema": '"string"'})
    assert (status, body["error_code"]) == (403, 40301)
