"""Prometheus metrics: the standard grpc_server_* series, the convsvc_* counters, and their HTTP endpoint.

The grpc_server_* names, labels and code values are go-grpc-prometheus's (grpc-ecosystem), so the
usual dashboards and alerts work unchanged. The convsvc_* counters are recorded by whoever knows the
fact: the conversion servicer (conversions, bytes, repairs), the idempotency interceptor, and the
registry (registry operations).

Several processes: set PROMETHEUS_MULTIPROC_DIR (an empty directory, shared by the processes) before
the server starts; every process then writes its samples there and the endpoint adds them up
(prometheus_client's multiprocess mode). The directory must be emptied before the processes start.
`convsvc serve --workers N` does all of that itself (convsvc/server/workers.py). The library's
process_* and python_* collectors do not work in that mode (they would describe only the process
that serves /metrics), so each process reports its own memory and CPU in the convsvc_process_*
gauges instead: one series per live process (the `pid` label the library adds), dropped by
mark_process_dead when the process ends.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Iterable

import grpc
import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import multiprocess

log = logging.getLogger("convsvc.metrics")

prometheus_client.disable_created_metrics()  # *_created series only double the output here

_GRPC_LABELS = ("grpc_type", "grpc_service", "grpc_method")

STARTED = Counter("grpc_server_started_total", "RPCs started on the server.", _GRPC_LABELS)
HANDLED = Counter("grpc_server_handled_total", "RPCs completed on the server, regardless of success or failure.",
                  (*_GRPC_LABELS, "grpc_code"))
MSG_RECEIVED = Counter("grpc_server_msg_received_total", "RPC stream messages received on the server.",
                       _GRPC_LABELS)
MSG_SENT = Counter("grpc_server_msg_sent_total", "gRPC stream messages sent by the server.", _GRPC_LABELS)
HANDLING_SECONDS = Histogram("grpc_server_handling_seconds",
                             "Histogram of response latency (seconds) of gRPC that had been application-level "
                             "handled by the server.", _GRPC_LABELS,
                             buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))  # Prometheus's DefBuckets

CONVERSIONS = Counter("convsvc_conversions_total",
                      "Conversions (one per Convert call, one per ConvertStream record) by format pair, mode "
                      "and outcome.", ("source", "target", "mode", "outcome"))
BYTES = Counter("convsvc_bytes_total", "Payload bytes converted: direction=in (source) or out (target).",
                ("direction",))
REPAIRS = Counter("convsvc_repairs_total",
                  "Repairs, coercions and losses reported in successful conversions, by issue code.", ("code",))
IDEMPOTENCY = Counter("convsvc_idempotency_total", "Calls with an idempotency-key, by what the key did.",
                      ("result",))
REGISTRY_OPERATIONS = Counter("convsvc_registry_operations_total", "Schema registry operations by outcome.",
                              ("op", "outcome"))
WORKER_RESTARTS = Counter("convsvc_worker_restarts_total",
                          "Workers the supervisor restarted after they died while serving (--workers N).")

# Multiprocess mode only (None otherwise: the library's process collector covers one process).
_MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
PROCESS_MEMORY = Gauge("convsvc_process_resident_memory_bytes", "Resident memory of each live server process.",
                       multiprocess_mode="liveall") if _MULTIPROCESS else None
PROCESS_CPU = Gauge("convsvc_process_cpu_seconds", "CPU time (user + system) each live server process has used.",
                    multiprocess_mode="liveall") if _MULTIPROCESS else None

# grpc_code values as go-grpc-prometheus writes them (Go's codes.Code.String()).
_GO_CODE_NAMES = {
    "OK": "OK", "CANCELLED": "Canceled", "UNKNOWN": "Unknown", "INVALID_ARGUMENT": "InvalidArgument",
    "DEADLINE_EXCEEDED": "DeadlineExceeded", "NOT_FOUND": "NotFound", "ALREADY_EXISTS": "AlreadyExists",
    "PERMISSION_DENIED": "PermissionDenied", "RESOURCE_EXHAUSTED": "ResourceExhausted",
    "FAILED_PRECONDITION": "FailedPrecondition", "ABORTED": "Aborted", "OUT_OF_RANGE": "OutOfRange",
    "UNIMPLEMENTED": "Unimplemented", "INTERNAL": "Internal", "UNAVAILABLE": "Unavailable",
    "DATA_LOSS": "DataLoss", "UNAUTHENTICATED": "Unauthenticated",
}


def grpc_code_label(code: grpc.StatusCode) -> str:
    return _GO_CODE_NAMES[code.name]


def record_conversion(source: str, target: str, mode: str, outcome: str, *, bytes_in: int = 0,
                      bytes_out: int = 0, issue_codes: Iterable[str] = ()) -> None:
    """One conversion: outcome is ok, refused, invalid_request, limit_exceeded, schema_not_found,
    unimplemented or cancelled."""
    _child(CONVERSIONS, source, target, mode, outcome).inc()
    if bytes_in:
        _child(BYTES, "in").inc(bytes_in)
    if bytes_out:
        _child(BYTES, "out").inc(bytes_out)
    for code in issue_codes:
        _child(REPAIRS, code).inc()


def record_bytes_in(count: int) -> None:
    """Payload bytes a stream received (its records are counted as they are converted)."""
    _child(BYTES, "in").inc(count)


@functools.cache
def _child(metric, *labels: str):
    """A labelled child, looked up once: labels() costs a lock and a hash, and a stream records every
    record (the label values are closed sets: formats, modes, outcomes, issue codes)."""
    return metric.labels(*labels)


def record_idempotency(result: str) -> None:
    _child(IDEMPOTENCY, result).inc()


def record_registry_operation(op: str, outcome: str) -> None:
    """One operation of the schema registry's gRPC or REST API: op as named by
    convsvc.server.registry_service.OPERATIONS (register, get_schema, delete_subject...); outcome ok or
    the gRPC status code name of its refusal (NOT_FOUND, INVALID_ARGUMENT...), over REST too."""
    _child(REGISTRY_OPERATIONS, op, outcome).inc()


def sample_process() -> None:
    """This process's memory and CPU into the convsvc_process_* gauges (multiprocess mode; else nothing)."""
    if PROCESS_MEMORY is None:
        return
    try:
        with open("/proc/self/statm") as statm:
            PROCESS_MEMORY.set(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE"))
    except OSError:  # not Linux: the peak instead
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        PROCESS_MEMORY.set(peak if sys.platform == "darwin" else peak * 1024)
    times = os.times()
    PROCESS_CPU.set(times.user + times.system)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition_registry() -> CollectorRegistry:
    """What the endpoint serves: this process's metrics, or every process's when in multiprocess mode."""
    if multiprocess_dir() is None:
        return prometheus_client.REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


class Endpoint:
    """The /metrics HTTP endpoint on its own port (a thread of this process)."""

    def __init__(self, host: str, port: int) -> None:
        self._server, self._thread = prometheus_client.start_http_server(port, addr=host,
                                                                         registry=exposition_registry())
        self.port = self._server.server_port

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def mark_process_dead(pid: int) -> None:
    """For a supervisor of several processes: drop a dead worker's live gauges (counters stay summed)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)
