"""The servers under test, as child processes: `convsvc serve --workers N` and the echo baseline."""

from __future__ import annotations

import pathlib
import re
import signal
import socket
import subprocess
import time

from bench.common import PYTHON, ROOT

_LISTENING = re.compile(r"listening on (\S+:\d+)(?: \((\d+) workers: pids ([\d, ]+)\))?")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A server process whose log names its address (and worker pids); stop() sends SIGTERM."""

    def __init__(self, command: list[str], log_path: pathlib.Path, *, timeout: float = 120.0) -> None:
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while True:
            match = _LISTENING.search(log_path.read_text(errors="replace"))
            if match:
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{command[:4]} did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.05)
        self.address = match.group(1)
        self.pids = [int(pid) for pid in match.group(3).split(", ")] if match.group(3) else [self.process.pid]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *_) -> None:
        self.stop()


def convsvc_server(tmp: pathlib.Path, workers: int, *extra: str) -> Server:
    """The real server as users run it (metrics on, JSON access log to a file, SQLite registry)."""
    tmp.mkdir(parents=True, exist_ok=True)
    return Server([PYTHON, "-m", "convsvc.cli.main", "serve", "--workers", str(workers), "--port", "0",
                   "--data-dir", str(tmp / "data"), "--metrics-port", str(free_port()), "--rest-port", "0", *extra],
                  tmp / "convsvc.log")


def echo_server(tmp: pathlib.Path, workers: int, layers: bool = False) -> Server:
    tmp.mkdir(parents=True, exist_ok=True)
    return Server([PYTHON, str(ROOT / "bench" / "echo_server.py"), "--workers", str(workers),
                   *(["--layers"] if layers else [])], tmp / ("echo-layers.log" if layers else "echo.log"))
