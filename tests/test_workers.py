"""`convsvc serve --workers N`: N processes on one port, one /metrics adding them up, SIGTERM drains
them all, a dead worker is restarted, and a configuration that cannot work with N > 1 is refused."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import grpc
import pytest

from convsvc.v1 import conversion_pb2 as pb
from convsvc.v1 import conversion_pb2_grpc
from tests.conftest import ROOT
from tests.serving import MetricsServer, access_line, access_lines, keys_toml, sample, wait_for_log, write_config
from tests.test_shutdown import Stream

JSON = pb.FormatSpec(format=pb.FORMAT_JSON)
JSONL = pb.FormatSpec(format=pb.FORMAT_JSON, encoding="jsonl")
CONVERT = {"grpc_type": "unary", "grpc_service": "convsvc.v1.ConversionService", "grpc_method": "Convert"}
MAX_CONNECTIONS = 60  # new connections tried until both workers have answered (each lands on one at random)


def worker_pids(server) -> list[int]:
    """The pids the supervisor's `listening on` line names."""
    match = re.search(r"listening on \S+ \(\d+ workers: pids ([\d, ]+)\)", server.log())
    assert match, server.log()
    return [int(pid) for pid in match.group(1).split(", ")]


def own_connection(address: str) -> grpc.Channel:
    """A channel with a TCP connection of its own (gRPC shares connections between equal channels)."""
    return grpc.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])


def convert_on_new_connection(server, number: int) -> tuple[grpc.Channel, int]:
    """One Convert on a fresh connection: the channel, still open, and the pid that answered."""
    channel = own_connection(server.address)
    request_id = f"workers-{number}"
    reply = conversion_pb2_grpc.ConversionServiceStub(channel).Convert(
        pb.ConvertRequest(source=JSON, target=JSON, payload=b'{"n": %d}' % number),
        metadata=[("x-request-id", request_id)], timeout=10)
    assert reply.payload == b'{"n":%d}' % number
    return channel, access_line(server, request_id)["pid"]


def one_connection_per_worker(server) -> dict[int, grpc.Channel]:
    """{pid: an open channel whose connection that worker serves}, for every worker; closes the others."""
    pids = set(worker_pids(server))
    found: dict[int, grpc.Channel] = {}
    for number in range(MAX_CONNECTIONS):
        channel, pid = convert_on_new_connection(server, number)
        assert pid in pids
        if pid in found:
            channel.close()
        else:
            found[pid] = channel
        if set(found) == pids:
            return found
    raise AssertionError(f"{MAX_CONNECTIONS} connections all went to {sorted(found)} of {sorted(pids)}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_two_workers_share_the_port_and_one_endpoint_counts_every_call(tmp_path):
    server = MetricsServer(tmp_path, "--workers", "2")
    try:
        pids = worker_pids(server)
        assert len(set(pids)) == 2 and server.process.pid not in pids
        calls, answered = 0, set()
        while answered != set(pids):
            assert calls < MAX_CONNECTIONS, f"only {answered} of {pids} answered"
            channel, pid = convert_on_new_connection(server, calls)
            channel.close()
            answered.add(pid)
            calls += 1
        assert len(access_lines(server, wait_for=calls)) == calls
        m = server.scrape()
    finally:
        assert server.stop() == 0
    assert sample(m, "grpc_server_started_total", **CONVERT) == calls
    assert sample(m, "grpc_server_handled_total", **CONVERT, grpc_code="OK") == calls
    assert sample(m, "grpc_server_handling_seconds_count", **CONVERT) == calls
    assert sample(m, "convsvc_conversions_total", source="json", target="json", mode="fragile", outcome="ok") == calls
    assert sample(m, "convsvc_bytes_total", direction="in") == sum(len(b'{"n": %d}' % n) for n in range(calls))
    assert sample(m, "convsvc_worker_restarts_total") == 0
    # process gauges: one series per live process (the library's pid label), workers and supervisor
    memory = {int(dict(labels)["pid"]) for name, labels in m if name == "convsvc_process_resident_memory_bytes"}
    assert memory == {*pids, server.process.pid}
    assert all(sample(m, "convsvc_process_resident_memory_bytes", pid=str(pid)) > 10 * 2**20 for pid in pids)


def test_sigterm_to_the_supervisor_drains_every_worker_and_exits_0(tmp_path):
    server = MetricsServer(tmp_path, "--workers", "2", "--grace", "20")
    channels = one_connection_per_worker(server)
    try:
        streams = {}
        for pid, channel in channels.items():  # a stream in flight on each worker: it answered once
            stream = Stream(conversion_pb2_grpc.ConversionServiceStub(channel))
            stream.send(b'{"worker": %d}' % pid)
            assert next(stream.call).record == b'{"worker":%d}\n' % pid
            streams[pid] = stream
        server.process.send_signal(signal.SIGTERM)
        wait_for_log(server, "shutting down: 2 workers draining")
        for pid in channels:  # each worker is draining (so it refuses new calls) and still serves its stream
            wait_for_log(server, rf'"msg":"shutting down: refusing new calls[^\n]*"pid":{pid}')
        for pid, stream in streams.items():
            for number in range(3):
                stream.send(b"[%d]" % number)
                assert next(stream.call).record == b"[%d]\n" % number
            stream.close()
            assert list(stream.call) == []
            assert stream.call.code() == grpc.StatusCode.OK
        assert server.process.wait(30) == 0
    finally:
        for channel in channels.values():
            channel.close()
        code = server.stop()
    assert code == 0
    assert not any(alive(pid) for pid in channels)
    assert [line for line in _json_lines(server) if line["level"] == "error"] == []


def test_a_worker_that_dies_is_reported_and_restarted_and_sighup_reaches_every_worker(tmp_path):
    config = write_config(tmp_path, "")
    server = MetricsServer(tmp_path, "--workers", "2", "--config", str(config))
    try:
        first, second = worker_pids(server)
        os.kill(first, signal.SIGKILL)
        wait_for_log(server, rf"worker 1 \(pid {first}\) died \(killed by SIGKILL\): restarting it")
        wait_for_count(server, "worker 1 serving on", 2)  # started, and started again
        m = server.scrape()
        assert sample(m, "convsvc_worker_restarts_total") == 1
        live = {int(dict(labels)["pid"]) for name, labels in m if name == "convsvc_process_resident_memory_bytes"}
        assert first not in live and second in live and len(live) == 3  # the new worker, the other, the supervisor
        answered = one_connection_per_worker_after_restart(server)
        assert second in answered and first not in answered and len(answered) == 2

        key = "cvk_workers_test_key_0123456789"
        config.write_text(keys_toml({"ci": (key, ["convert"])}))
        server.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while True:  # both workers reloaded: the key is required everywhere
            reloaded = {line["pid"] for line in _json_lines(server) if line["msg"].startswith("configuration reloaded")}
            if len(reloaded) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert reloaded == answered
    finally:
        assert server.stop() == 0


def wait_for_count(server, text: str, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while server.log().count(text) < count:
        assert time.monotonic() < deadline, f"{text!r} not {count} times in:\n{server.log()}"
        time.sleep(0.05)


def one_connection_per_worker_after_restart(server) -> set[int]:
    """The pids answering now: connections until two different pids answered."""
    seen = set()
    for number in range(1000, 1000 + MAX_CONNECTIONS):
        channel, pid = convert_on_new_connection(server, number)
        channel.close()
        seen.add(pid)
        if len(seen) == 2:
            return seen
    raise AssertionError(f"only {seen} answered")


def _json_lines(server) -> list[dict]:
    import json

    return [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]


def serve(tmp_path, *flags: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`convsvc serve` expected to stop by itself at start."""
    return subprocess.run([sys.executable, "-m", "convsvc.cli.main", "serve", "--data-dir", str(tmp_path / "data"),
                           "--metrics-port", "0", "--rest-port", "0", *flags],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env={**os.environ, **(env or {})})


def test_the_memory_idempotency_store_is_refused_with_several_workers(tmp_path):
    done = serve(tmp_path, "--workers", "2", "--port", "0", env={"CONVSVC_IDEMPOTENCY_STORE": "memory"})
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "convsvc: configuration: [server] workers = 2 cannot share "
        '[idempotency] store = "memory": each process would keep its own outcomes, so a repeat that reaches '
        'another worker would run again; use store = "sqlite" or "redis", or workers = 1 (--workers 1)')


def test_a_port_another_process_holds_stops_the_supervisor_before_any_worker_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = serve(tmp_path, "--workers", "2", "--port", str(port))
    assert done.returncode == 1
    assert f"cannot bind 127.0.0.1:{port}: Address already in use" in done.stderr
    assert "serving on" not in done.stderr and "listening on" not in done.stderr
