"""Shared fixtures: corpora location, a real server process, gRPC stubs."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import time

import grpc
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def corpora_root() -> pathlib.Path:
    """../shared/corpora beside the repo (as in CI), or $CONVSVC_CORPORA."""
    override = os.environ.get("CONVSVC_CORPORA")
    return pathlib.Path(override) if override else ROOT.parent / "shared" / "corpora"


class ServerProcess:
    """`convsvc serve` in a child process on a free loopback port."""

    def __init__(self, tmp: pathlib.Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.log_path = tmp / "server.log"
        self._log = open(self.log_path, "wb")
        for flag in ("--metrics-port", "--rest-port"):  # no fixed ports: tests (and their servers) run side by side
            if flag not in extra:
                extra = (*extra, flag, "0")
        if "--workers" not in extra:  # one process (memory stores, exact metrics, shutdown) unless a test asks
            extra = (*extra, "--workers", "1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "convsvc.cli.main", "serve", "--port", "0", "--data-dir", str(tmp / "data"),
             *extra],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, **(env or {})})
        self.address = self._wait_for_address()

    def _wait_for_address(self, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(r"listening on (\S+:\d+)", self.log_path.read_text(errors="replace"))
            if match:
                return match.group(1)
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text(errors='replace')}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("server"))
    yield process
    process.stop()


@pytest.fixture(scope="session")
def channel(server):
    with grpc.insecure_channel(server.address) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel


@pytest.fixture(scope="session")
def stub(channel):
    from convsvc.v1 import conversion_pb2_grpc

    return conversion_pb2_grpc.ConversionServiceStub(channel)
