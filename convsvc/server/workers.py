"""Several server processes on one port: a supervisor that starts N workers sharing the port with
SO_REUSEPORT, serves their metrics as one endpoint, drains them on SIGTERM and restarts one that dies.

The supervisor (the process `convsvc serve --workers N` starts as) never serves calls. It:

* binds the gRPC port (and the REST port) itself first, with SO_REUSEPORT and without listening: a
  port that cannot be had fails the start at once, and `--port 0` becomes one free port the workers
  all share; the kernel spreads new connections over the workers' listening sockets;
* makes a fresh directory for prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set
  before any worker starts) and serves /metrics from it: every worker's samples, added up; it calls
  `mark_process_dead` for each worker that ends, as the library asks, and removes the directory at exit;
* opens the schema registry once before the workers, so its tables are created by one process;
* starts the workers with the "spawn" method (gRPC does not survive fork) and waits until each one
  says it is serving before it logs `convsvc listening on HOST:PORT`;
* forwards SIGTERM/SIGINT (drain) and SIGHUP (reload) to every worker; exits 0 when all drained;
* restarts a worker that dies while serving (logged as an error, counted in
  convsvc_worker_restarts_total); a worker that fails before serving, or more than
  MAX_RESTARTS deaths within RESTART_WINDOW_SECONDS, stops the whole server with exit 1.
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import logging
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable

from convsvc.server.config import Config

log = logging.getLogger("convsvc.workers")

MAX_RESTARTS = 5  # deaths of serving workers within the window before the supervisor gives up
RESTART_WINDOW_SECONDS = 60.0
START_TIMEOUT_SECONDS = 60.0  # a worker must be serving this long after it was started
EXIT_MARGIN_SECONDS = 15.0  # beyond the grace period: what a draining worker gets before it is killed


@dataclasses.dataclass(slots=True)
class WorkerRole:
    """What a worker process knows of its supervisor: its index and the pipe to say it is serving."""

    index: int
    ready: multiprocessing.connection.Connection

    def serving(self, port: int) -> None:
        self.ready.send(("serving", os.getpid(), port))
        self.ready.close()


def reserve_port(host: str, port: int) -> socket.socket:
    """A bound, not listening, SO_REUSEPORT socket holding (host, port) for the workers; OSError if taken."""
    family, kind, proto, _, address = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)[0]
    holder = socket.socket(family, kind, proto)
    try:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(address)
    except OSError:
        holder.close()
        raise
    return holder


@dataclasses.dataclass(slots=True)
class _Worker:
    index: int
    process: multiprocessing.process.BaseProcess
    ready: multiprocessing.connection.Connection  # the supervisor's end
    started: float
    serving: bool = False


class Supervisor:
    def __init__(self, config: Config, args: argparse.Namespace,
                 run_worker: Callable[[argparse.Namespace, WorkerRole], int]) -> None:
        self.config = config
        self.args = args
        self.run_worker = run_worker
        self.count = config.worker_count
        self.context = multiprocessing.get_context("spawn")
        self.workers: dict[int, _Worker] = {}
        self.deaths: list[float] = []  # when serving workers died (restart budget)
        self.signals: list[int] = []
        self.stopping = False

    def run(self) -> int:
        config = self.config
        holders = []
        metrics_dir = tempfile.mkdtemp(prefix="convsvc-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # before the metrics module is imported anywhere
        endpoint = None
        try:
            try:
                holders.append(reserve_port(config.host, config.port))
            except OSError as error:
                log.error("cannot bind %s:%d: %s", config.host, config.port, error.strerror or error)
                return 1
            port = holders[0].getsockname()[1]
            if config.registry.rest_port:
                rest_host = config.registry.rest_host or config.host
                try:
                    holders.append(reserve_port(rest_host, config.registry.rest_port))
                except OSError as error:
                    log.error("cannot serve the REST API on %s:%d: %s", rest_host, config.registry.rest_port,
                              error.strerror or error)
                    return 1
            from convsvc.server import app, metrics

            endpoint = app._metrics_endpoint(config)
            if endpoint is False:
                return 1
            config.data_dir.mkdir(parents=True, exist_ok=True)
            from convsvc.server.registry_service import open_registry_for

            open_registry_for(config).close()  # creates the store's tables once, not N times at once
            self.worker_args = argparse.Namespace(**{**vars(self.args), "port": port})
            self._install_signals()
            return self._supervise(port, metrics)
        finally:
            self._stop_all()
            if endpoint:
                endpoint.close()
            for holder in holders:
                holder.close()
            shutil.rmtree(metrics_dir, ignore_errors=True)

    def _supervise(self, port: int, metrics) -> int:
        for index in range(1, self.count + 1):
            self._start(index)
        announced = False
        sampled = 0.0
        while True:
            self._handle_signals()
            if time.monotonic() - sampled >= 5.0:  # the supervisor is a live process of the server too
                metrics.sample_process()
                sampled = time.monotonic()
            if self.stopping:
                return self._drain()
            if not announced and all(worker.serving for worker in self.workers.values()):
                pids = ", ".join(str(worker.process.pid) for worker in self.workers.values())
                log.info("convsvc listening on %s:%d (%d workers: pids %s)", self.config.host, port, self.count, pids)
                announced = True
            waitables = [self._wakeup_read]
            for worker in self.workers.values():
                waitables.append(worker.process.sentinel)
                if not worker.serving:
                    waitables.append(worker.ready)
            multiprocessing.connection.wait(waitables, timeout=1.0)
            for worker in list(self.workers.values()):
                if not worker.serving and _poll(worker.ready):
                    worker.serving = True
                if not worker.process.is_alive():
                    code = self._reap(worker, metrics)
                    if not worker.serving:
                        log.error("worker %d (pid %d) failed to start (%s): stopping", worker.index,
                                  worker.process.pid, _describe_exit(code))
                        return 1
                    now = time.monotonic()
                    self.deaths = [when for when in self.deaths if now - when < RESTART_WINDOW_SECONDS] + [now]
                    if len(self.deaths) > MAX_RESTARTS:
                        log.error("worker %d (pid %d) died (%s); %d deaths within %.0f s: stopping", worker.index,
                                  worker.process.pid, _describe_exit(code), len(self.deaths), RESTART_WINDOW_SECONDS)
                        return 1
                    log.error("worker %d (pid %d) died (%s): restarting it", worker.index, worker.process.pid,
                              _describe_exit(code))
                    metrics.WORKER_RESTARTS.inc()
                    self._start(worker.index)
                elif not worker.serving and time.monotonic() - worker.started > START_TIMEOUT_SECONDS:
                    log.error("worker %d (pid %d) is not serving after %.0f s: stopping", worker.index,
                              worker.process.pid, START_TIMEOUT_SECONDS)
                    return 1

    def _start(self, index: int) -> None:
        mine, theirs = self.context.Pipe(duplex=False)
        process = self.context.Process(target=_worker_main, name=f"convsvc-worker-{index}",
                                       args=(self.run_worker, self.worker_args, index, theirs))
        process.start()
        theirs.close()
        self.workers[index] = _Worker(index, process, mine, time.monotonic())

    def _reap(self, worker: _Worker, metrics) -> int:
        worker.process.join()
        worker.ready.close()
        del self.workers[worker.index]
        metrics.mark_process_dead(worker.process.pid)
        return worker.process.exitcode

    def _drain(self) -> int:
        """Every worker drains (SIGTERM); 0 when all of them exit 0 within grace + margin."""
        log.info("shutting down: %d workers draining", len(self.workers))
        for worker in self.workers.values():
            _signal(worker.process, signal.SIGTERM)
        deadline = time.monotonic() + self.config.grace_seconds + EXIT_MARGIN_SECONDS
        status = 0
        from convsvc.server import metrics

        for worker in list(self.workers.values()):
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                log.error("worker %d (pid %d) did not stop in time: killed", worker.index, worker.process.pid)
                worker.process.kill()
                worker.process.join()
            code = self._reap(worker, metrics)
            if code not in (0, -signal.SIGTERM):  # -SIGTERM: still starting, before its handlers were set
                log.error("worker %d (pid %d) ended badly (%s)", worker.index, worker.process.pid,
                          _describe_exit(code))
                status = 1
        log.info("stopped")
        return status

    def _stop_all(self) -> None:
        """On the way out after a failure: no worker outlives the supervisor."""
        for worker in self.workers.values():
            _signal(worker.process, signal.SIGTERM)
        for worker in list(self.workers.values()):
            worker.process.join(self.config.grace_seconds + EXIT_MARGIN_SECONDS)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        self.workers.clear()

    def _install_signals(self) -> None:
        self._wakeup_read, wakeup_write = socket.socketpair()
        wakeup_write.setblocking(False)
        self._wakeup_write = wakeup_write
        signal.set_wakeup_fd(wakeup_write.fileno(), warn_on_full_buffer=False)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, lambda number, _frame: self.signals.append(number))

    def _handle_signals(self) -> None:
        try:
            self._wakeup_read.setblocking(False)
            while self._wakeup_read.recv(512):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        while self.signals:
            number = self.signals.pop(0)
            if number == signal.SIGHUP:
                log.info("reload: asking %d workers to reload", len(self.workers))
                for worker in self.workers.values():
                    _signal(worker.process, signal.SIGHUP)
            else:
                self.stopping = True


def _worker_main(run_worker: Callable[[argparse.Namespace, WorkerRole], int], args: argparse.Namespace,
                 index: int, ready: multiprocessing.connection.Connection) -> None:
    """A worker process's entry point: end with the supervisor, then serve."""
    _die_with_parent()
    sys.exit(run_worker(args, WorkerRole(index, ready)))


def _die_with_parent() -> None:
    """Linux: SIGTERM (a drain) when the supervisor dies, so no worker keeps the port orphaned."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the call
        os.kill(os.getpid(), signal.SIGTERM)


def _poll(connection: multiprocessing.connection.Connection) -> bool:
    try:
        if connection.poll():
            return connection.recv()[0] == "serving"
    except (EOFError, OSError):
        pass
    return False


def _signal(process: multiprocessing.process.BaseProcess, signum: int) -> None:
    if process.pid is not None and process.is_alive():
        try:
            os.kill(process.pid, signum)
        except ProcessLookupError:
            pass


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"
