"""Configuration as an operator writes it: TOML file, CONVSVC_* variables, flags, and clear refusals."""

from __future__ import annotations

import pathlib

import pytest

from convsvc.server.config import Config, ConfigError
from convsvc.server.keys import KeyTable, PermissionDenied, Unauthenticated, digest, new_key, presented_key

KEY_DIGEST = "ab" * 32


def write(tmp_path: pathlib.Path, text: str) -> pathlib.Path:
    path = tmp_path / "convsvc.toml"
    path.write_text(text)
    return path


def test_defaults_work_alone():
    config = Config.load(env={})
    assert (config.host, config.port, config.metrics.port) == ("127.0.0.1", 50051, 9464)
    assert config.idempotency.store == "sqlite"
    assert config.idempotency_path == pathlib.Path("data/idempotency.sqlite3")
    assert config.idempotency.on_store_failure == "proceed"
    assert config.receive_limit == config.limits.max_message_bytes + 64 * 1024


def test_every_table_reads_from_the_file(tmp_path):
    path = write(tmp_path, f"""
[server]
port = 6000
[limits]
max_depth = 50
[metrics]
port = 0
[log]
format = "text"
[deadlines]
default_seconds = 5
max_seconds = 60
[rate_limit]
requests_per_second = 10
burst = 20
[idempotency]
store = "memory"
ttl_seconds = 3600
[[auth.keys]]
name = "ci"
sha256 = "{KEY_DIGEST}"
scopes = ["convert", "registry:read"]
requests_per_second = 2.5
""")
    config = Config.load(path, env={})
    assert config.port == 6000 and config.limits.max_depth == 50 and config.metrics.port == 0
    assert config.log.format == "text"
    assert (config.deadlines.default_seconds, config.deadlines.max_seconds) == (5.0, 60.0)
    assert (config.rate_limit.requests_per_second, config.rate_limit.burst) == (10.0, 20)
    assert (config.idempotency.store, config.idempotency.ttl_seconds) == ("memory", 3600.0)
    (key,) = config.auth.keys
    assert (key.name, key.scopes, key.requests_per_second) == ("ci", {"convert", "registry:read"}, 2.5)


def test_environment_overrides_the_file_and_flags_override_both(tmp_path):
    path = write(tmp_path, "[server]\nport = 6000\n[deadlines]\nmax_seconds = 60\n")
    env = {"CONVSVC_SERVER_PORT": "7000", "CONVSVC_DEADLINES_MAX_SECONDS": "90",
           "CONVSVC_RATE_LIMIT_ANONYMOUS_BURST": "3", "CONVSVC_IDEMPOTENCY_STORE": "memory"}
    config = Config.load(path, env=env, port=8000, flags={"metrics.port": 0})
    assert (config.port, config.deadlines.max_seconds, config.rate_limit.anonymous_burst) == (8000, 90.0, 3)
    assert (config.idempotency.store, config.metrics.port) == ("memory", 0)


def test_unrelated_convsvc_variables_are_not_settings():
    config = Config.load(env={"CONVSVC_TEST_REDIS_URL": "redis://x", "CONVSVC_API_KEY": "k",
                              "CONVSVC_CORPORA": "/tmp"})
    assert config == Config()


@pytest.mark.parametrize("text, message", [
    ("[sever]\nport = 1\n", "unknown table [sever]"),
    ("[server]\nprot = 1\n", "unknown setting 'prot' in [server]"),
    ("[server]\nport = \"x\"\n", "[server] port: expected int, got 'x'"),
    ("[limits]\nmax_depth = 1000\n", "max_depth may be at most 254"),
    ("[deadlines]\ndefault_seconds = 100\nmax_seconds = 10\n", "default_seconds must not exceed max_seconds"),
    ("[idempotency]\nstore = \"redis\"\n", "store = redis needs redis_url"),
    ("[idempotency]\non_store_failure = \"maybe\"\n", "on_store_failure must be proceed or refuse"),
    ("[[auth.keys]]\nname = \"ci\"\nsha256 = \"abc\"\nscopes = [\"convert\"]\n", "sha256 must be 64"),
    (f"[[auth.keys]]\nname = \"ci\"\nsha256 = \"{KEY_DIGEST}\"\nscopes = [\"conver\"]\n", "unknown scope(s) conver"),
    (f"[[auth.keys]]\nname = \"a\"\nsha256 = \"{KEY_DIGEST}\"\nscopes = [\"admin\"]\n"
     f"[[auth.keys]]\nname = \"a\"\nsha256 = \"{'cd' * 32}\"\nscopes = [\"admin\"]\n", "duplicate key name(s) a"),
    ("port = 1\n", "must be a table"),
    ("[server\n", "not valid TOML"),
])
def test_a_bad_file_is_refused_naming_the_setting(tmp_path, text, message):
    with pytest.raises(ConfigError) as caught:
        Config.load(write(tmp_path, text), env={})
    assert message in str(caught.value)
    assert "convsvc.toml" in str(caught.value) or "[" in str(caught.value)


@pytest.mark.parametrize("env, message", [
    ({"CONVSVC_SERVER_PROT": "1"}, "CONVSVC_SERVER_PROT: unknown setting 'prot' in [server]"),
    ({"CONVSVC_METRICS_PORT": "many"}, "CONVSVC_METRICS_PORT: expected int, got 'many'"),
    ({"CONVSVC_LIMITS_MAX_DEPTH": "0"}, "(from CONVSVC_LIMITS_MAX_DEPTH)"),
    ({"CONVSVC_AUTH_KEYS": "x"}, "can only be set in the config file"),
])
def test_a_bad_environment_variable_is_refused_naming_the_variable(env, message):
    with pytest.raises(ConfigError) as caught:
        Config.load(env=env)
    assert message in str(caught.value)


def test_keys_are_stored_as_digests_and_checked_with_their_scopes():
    key = new_key()
    config = Config.load(env={}, flags={})
    from convsvc.server.keys import ApiKey

    table = KeyTable([ApiKey("ci", digest(key), frozenset({"convert"})),
                      ApiKey("ops", digest("other-key"), frozenset({"admin"}))])
    assert key.startswith("cvk_") and digest(key) not in key
    principal = table.authenticate(key)
    assert principal.name == "ci"
    table.authorize(principal, "convert")
    with pytest.raises(PermissionDenied):
        table.authorize(principal, "registry:write")
    table.authorize(table.authenticate("other-key"), "registry:write")  # admin may do everything
    with pytest.raises(Unauthenticated):
        table.authenticate(None)
    with pytest.raises(Unauthenticated):
        table.authenticate("cvk_wrong")
    assert config.auth.keys == ()


def test_no_keys_means_everyone_is_anonymous_and_allowed():
    table = KeyTable()
    principal = table.authenticate(None)
    assert principal.name == "anonymous"
    table.authorize(principal, "admin")


@pytest.mark.parametrize("headers, key", [
    ({"authorization": "Bearer cvk_1"}, "cvk_1"),
    ({"authorization": "bearer  cvk_1 "}, "cvk_1"),
    ({"x-api-key": "cvk_2"}, "cvk_2"),
    ({"authorization": "Basic abc", "x-api-key": "cvk_3"}, "cvk_3"),
    ({}, None),
])
def test_a_key_is_read_from_bearer_authorization_or_x_api_key(headers, key):
    assert presented_key(headers) == key
