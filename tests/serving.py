"""Helpers for tests against a real server process: config files, metrics scrapes, log lines, CPU time."""

from __future__ import annotations

import json
import os
import pathlib
import re
import socket
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from convsvc.server.keys import digest
from tests.conftest import ServerProcess



def redis_url() -> str:
    """$CONVSVC_TEST_REDIS_URL; without it a test fails under CI=true and is skipped elsewhere."""
    url = os.environ.get("CONVSVC_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CONVSVC_TEST_REDIS_URL is not set (scripts/services.sh start redis; "
                        "eval \"$(scripts/services.sh env)\")")
        pytest.skip("CONVSVC_TEST_REDIS_URL is not set")
    return url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_config(tmp: pathlib.Path, text: str) -> pathlib.Path:
    path = tmp / "convsvc.toml"
    path.write_text(text)
    return path


def keys_toml(keys: dict[str, tuple[str, list[str]]], extra: str = "") -> str:
    """[[auth.keys]] tables for {name: (key, scopes)}."""
    out = []
    for name, (key, scopes) in keys.items():
        scope_list = ", ".join(f'"{scope}"' for scope in scopes)
        out.append(f'[[auth.keys]]\nname = "{name}"\nsha256 = "{digest(key)}"\nscopes = [{scope_list}]\n{extra}')
    return "\n".join(out)


class MetricsServer(ServerProcess):
    """A server with its /metrics endpoint on a free port."""

    def __init__(self, tmp: pathlib.Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.metrics_port = free_port()
        super().__init__(tmp, *extra, "--metrics-port", str(self.metrics_port), env=env)

    def scrape(self) -> dict[tuple[str, tuple], float]:
        """{(sample name, sorted labels): value} of the endpoint right now."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=10) as response:
            text = response.read().decode()
        return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                for family in text_string_to_metric_families(text) for sample in family.samples}


def sample(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def log_lines(server: ServerProcess) -> list[dict]:
    """The server's JSON log lines so far."""
    lines = []
    for line in server.log().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def access_lines(server: ServerProcess, wait_for: int = 0, timeout: float = 10) -> list[dict]:
    """The access log lines (one per finished call), waiting until at least `wait_for` are written."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in log_lines(server) if line.get("logger") == "convsvc.access"]
        if len(lines) >= wait_for or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def access_line(server: ServerProcess, request_id: str, timeout: float = 10) -> dict:
    """The access log line of one call, once written (just after the call's status went out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in access_lines(server):
            if line.get("request_id") == request_id:
                return line
        time.sleep(0.02)
    raise AssertionError(f"no access log line for request id {request_id}:\n{server.log()}")


def wait_for_log(server: ServerProcess, pattern: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not re.search(pattern, server.log()):
        if time.monotonic() > deadline:
            raise AssertionError(f"no log line matching {pattern!r}:\n{server.log()}")
        time.sleep(0.02)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def trailers(call_or_error) -> dict[str, str]:
    return {key: value for key, value in call_or_error.trailing_metadata() or ()}
